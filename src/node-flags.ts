// The Node.js flags and environment the operator runs with, wherever it runs: the image's
// entrypoint, `make run`, the benchmark, the soak and the integration tests all start it
// with these (test/unit/node-flags.test.ts keeps the Dockerfile and the scripts in step). Each
// figure below is from docs/performance.md.
//
// --max-semi-space-size=4 and --heap-growing-percent=50: filling the caches parses pages of whole
// workflows, and what a page leaves behind is promoted to the old generation, which V8 lets grow
// up to fourfold before its next full collection. With 10,000 cached workflows the process peaked
// at 268-285 MiB before it was ready, over the Deployment's 256 MiB memory request (the
// compaction below only comes after). Growing the old generation by half at most keeps the peak
// at 157-169 MiB. Alone, that costs start-up CPU time in extra full collections; young-generation
// semi-spaces of 4 MiB instead of 1 let more of a page die young and pay for them: CPU time to
// ready 5.4-8.9 s, against 5.0-8.1 s before (docs/performance.md, "Memory").
//
// --expose-gc: lets the operator ask for one memory-reducing collection once its caches have
// synced (runtime/heap-compaction.ts), which hands back the old-generation pages the start-up
// lists grew into: with 10,000 cached workflows, 105 → 41 MiB of committed old generation.
export const OPERATOR_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=4',
  '--heap-growing-percent=50',
  '--expose-gc',
];

// MALLOC_TRIM_THRESHOLD_: glibc otherwise raises its mmap and trim thresholds as large response
// buffers are freed, so the buffers of the start-up lists are later carved from the heap arenas,
// which keep the memory after they are freed. A fixed threshold of 128 KiB returns it: with
// 10,000 cached workflows, about 40 MiB less RSS. Other C libraries ignore it.
export const OPERATOR_NODE_ENV: Readonly<Record<string, string>> = { MALLOC_TRIM_THRESHOLD_: '131072' };
