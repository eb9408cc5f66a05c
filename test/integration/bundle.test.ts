// The bundle the operator runs from (dist/operator.mjs, written by `make build`) is ASCII: one
// character outside it makes V8 keep the whole source at two bytes a character, about 8 MiB more
// RSS for the life of the process (docs/performance.md). Dependencies' comments hold typographic
// quotes, so this holds only while esbuild drops comments.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../support/plane.js';

const bundle = join(projectRoot, 'dist/operator.mjs');

test('the operator bundle holds ASCII only', () => {
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`make build\` first`);
  const text = readFileSync(bundle);
  const outside = text.findIndex((byte) => byte > 0x7f);
  const context = outside < 0 ? '' : text.subarray(Math.max(0, outside - 60), outside + 20).toString();
  expect({ outside, context }).toEqual({ outside: -1, context: '' });
});
