// The operator runs with the same Node.js flags and environment however it is started: the
// spawners in the benchmark, the soak and the tests import them; the image and `make run` spell
// them out.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPERATOR_NODE_ENV, OPERATOR_NODE_FLAGS } from '../../src/node-flags.js';

const root = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

describe('the operator’s Node.js flags', () => {
  it('are on the image’s entrypoint, before the operator', () => {
    const entrypoint = read('Dockerfile').match(/^ENTRYPOINT (\[.*\])$/m);
    const argv = JSON.parse(entrypoint![1]!) as string[];
    expect(argv.slice(1, argv.indexOf('/app/operator.mjs'))).toEqual([...OPERATOR_NODE_FLAGS]);
  });

  it('are on `make run`’s command line, before the operator', () => {
    const run = read('hack/run').match(/^exec "\$node" (.*) "\$ROOT\/dist\/operator\.mjs"/m);
    expect(run![1]!.split(' ')).toEqual([...OPERATOR_NODE_FLAGS]);
  });
});

describe('the operator’s environment', () => {
  it.each(Object.entries(OPERATOR_NODE_ENV))('sets %s=%s in the image and in `make run`', (name, value) => {
    expect(read('Dockerfile')).toMatch(new RegExp(`^ENV ${name}=${value}$`, 'm'));
    expect(read('hack/run')).toMatch(new RegExp(`^export ${name}=${value}$`, 'm'));
  });
});
