// The operator as it runs: src/main.ts and only the code it reaches, bundled into one ESM file,
// dist/operator.mjs, which `make run`, the tests, the benchmark and the image all start. Loading
// one tree-shaken file instead of every module of every dependency (@kubernetes/client-node alone
// ships thousands) takes the idle operator's RSS from about 150 to about 113 MiB
// (docs/performance.md). The bundle needs nothing from node_modules at run time.
//
// Whitespace and comments are dropped and syntax shortened, names kept (stack traces still name
// functions). Besides halving the file, this keeps it ASCII: a few dependencies' comments hold
// typographic quotes, and one non-ASCII character makes V8 hold the whole source as UTF-16, so the
// idle operator's RSS falls by 12 MiB (115 → 103). The source map sits beside the bundle.
//
// The bundle names its build (src/build-info.ts): the version of package.json and the source
// revision, from SOURCE_REVISION (the image build has no .git and is given it) or from git. The
// same sources and revision give the same bundle, byte for byte.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
const revision = process.env.SOURCE_REVISION || gitRevision() || 'unknown';

function gitRevision() {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/operator.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  legalComments: 'external',
  logLevel: 'warning',
  define: { __WRO_VERSION__: JSON.stringify(version), __WRO_REVISION__: JSON.stringify(revision) },
  // winston, prom-client and their dependencies are CommonJS and call require() for Node's
  // built-in modules, which an ES module has no binding for.
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
});
