// The Node.js flags and environment the operator runs with, wherever it runs: the image's
// entrypoint, `make run`, the benchmark, the soak and the integration tests all start it
// with these (test/unit/node-flags.test.ts keeps the Dockerfile and the scripts in step). Each
// figure below is from docs/performance.md.
//
// --max-semi-space-size=1: young-generation semi-spaces of 1 MiB instead of V8's up to 16 MiB. A
// controller allocates little per second once its caches are full, but filling them parses pages
// of whole workflows; a small young generation promotes less of that garbage to the old
// generation, whose pages V8 gives back to the system late or never. Measured with 2,000 cached
// workflows: 174 → 162 MiB RSS at ready.
//
// --expose-gc: lets the operator ask for one memory-reducing collection once its caches have
// synced (runtime/heap-compaction.ts), which hands back the old-generation pages the start-up
// lists grew into: with 10,000 cached workflows, 105 → 41 MiB of committed old generation.
export const OPERATOR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--expose-gc'];

// MALLOC_TRIM_THRESHOLD_: glibc otherwise raises its mmap and trim thresholds as large response
// buffers are freed, so the buffers of the start-up lists are later carved from the heap arenas,
// which keep the memory after they are freed. A fixed threshold of 128 KiB returns it: with
// 10,000 cached workflows, about 40 MiB less RSS. Other C libraries ignore it.
export const OPERATOR_NODE_ENV: Readonly<Record<string, string>> = { MALLOC_TRIM_THRESHOLD_: '131072' };
