// The operator runs with the same Node.js flags however it is started: the spawners in the
// benchmark, the soak and the tests import them; the image and `make run` spell them out.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPERATOR_NODE_FLAGS } from '../../src/node-flags.js';

const root = join(import.meta.dirname, '../..');

describe('the operator’s Node.js flags', () => {
  it('are on the image’s entrypoint, before the operator', () => {
    const entrypoint = readFileSync(join(root, 'Dockerfile'), 'utf8').match(/^ENTRYPOINT (\[.*\])$/m);
    const argv = JSON.parse(entrypoint![1]!) as string[];
    const main = argv.indexOf('/app/operator.mjs');
    for (const flag of OPERATOR_NODE_FLAGS) {
      expect(argv.indexOf(flag)).toBeGreaterThan(0);
      expect(argv.indexOf(flag)).toBeLessThan(main);
    }
  });

  it('are on `make run`’s command line, before the operator', () => {
    const run = readFileSync(join(root, 'hack/run'), 'utf8').match(
      /^exec "\$node" (.*) "\$ROOT\/dist\/operator\.mjs"/m,
    );
    expect(run![1]!.split(' ')).toEqual([...OPERATOR_NODE_FLAGS]);
  });
});
