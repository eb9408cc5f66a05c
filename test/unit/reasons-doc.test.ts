// Every reason in the code is documented, and the documentation names no reason the code lacks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_REASONS } from '../../src/domain/reasons.js';
import { REASON_PATTERN } from '../../src/api/syntax.js';

const documented = [
  ...readFileSync(join(import.meta.dirname, '../../docs/reasons.md'), 'utf8').matchAll(/^### (\S+)$/gm),
].map((match) => match[1]);

describe('docs/reasons.md', () => {
  it('documents exactly the reasons in src/domain/reasons.ts', () => {
    expect([...documented].sort()).toEqual([...ALL_REASONS].sort());
  });

  it('has every reason in CamelCase, as the status schema requires', () => {
    expect(ALL_REASONS.filter((reason) => !new RegExp(REASON_PATTERN).test(reason))).toEqual([]);
  });
});
