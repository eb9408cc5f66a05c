// The Node.js flags the operator runs with, wherever it runs: the image's entrypoint, `make run`,
// the benchmark, the soak and the integration tests all start it with these
// (test/unit/node-flags.test.ts keeps the Dockerfile and hack/run in step).
//
// --max-semi-space-size=1: young-generation semi-spaces of 1 MiB instead of V8's up to 16 MiB. A
// controller allocates little per second once its caches are full, but filling them parses pages
// of whole workflows; a small young generation promotes less of that garbage to the old
// generation, whose pages V8 gives back to the system late or never. Measured with 2,000 cached
// workflows: 174 → 162 MiB RSS at ready (docs/performance.md).
export const OPERATOR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
