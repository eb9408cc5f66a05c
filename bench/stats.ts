// Pure summaries of measured samples: percentiles, throughput and ratios, rounded for the report.

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
}

/**
 * The p-th percentile (0..100) of `values` by linear interpolation between the two nearest
 * ranks (the "inclusive" method of NumPy's default and spreadsheets' PERCENTILE.INC), so a reader
 * can check the figures with the tool at hand. Throws on an empty sample: a percentile of nothing
 * is a bug in the caller, not a number.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty sample');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside 0..100`);
  if (values.some((value) => !Number.isFinite(value)))
    throw new RangeError('sample holds a non-finite value');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const low = sorted[lower]!;
  return low + (sorted[upper]! - low) * (rank - lower);
}

export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** p50, p95 and p99 of latencies in milliseconds, to a tenth of a millisecond. */
export function summarizeLatencies(latenciesMs: readonly number[]): LatencySummary {
  return {
    p50: round(percentile(latenciesMs, 50), 1),
    p95: round(percentile(latenciesMs, 95), 1),
    p99: round(percentile(latenciesMs, 99), 1),
  };
}

/** Completed operations per second over a wall-clock span in milliseconds. */
export function throughputPerSecond(count: number, wallMs: number): number {
  if (!(wallMs > 0)) throw new RangeError(`wall time ${wallMs} ms is not positive`);
  return round((count * 1000) / wallMs, 2);
}

/** ours / theirs, or null when theirs is zero (a ratio to nothing is not a number to report). */
export function ratio(ours: number, theirs: number): number | null {
  return theirs === 0 ? null : round(ours / theirs, 3);
}
