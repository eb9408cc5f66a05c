import { percentile, ratio, round, summarizeLatencies, throughputPerSecond } from '../../bench/stats.js';

describe('percentile', () => {
  it('interpolates linearly between the nearest ranks', () => {
    const values = [10, 20, 30, 40];
    expect(percentile(values, 0)).toBe(10);
    expect(percentile(values, 50)).toBe(25);
    expect(percentile(values, 100)).toBe(40);
    expect(percentile(values, 95)).toBeCloseTo(38.5, 10);
  });

  it('does not depend on the order of the sample, and leaves it unsorted', () => {
    const values = [40, 10, 30, 20];
    expect(percentile(values, 50)).toBe(25);
    expect(values).toEqual([40, 10, 30, 20]);
  });

  it('returns the only value of a sample of one for every percentile', () => {
    expect(percentile([7], 0)).toBe(7);
    expect(percentile([7], 99)).toBe(7);
  });

  it('agrees with the nearest rank when the rank falls on a value', () => {
    const values = Array.from({ length: 101 }, (_, i) => i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
  });

  it('refuses an empty sample, a percentile outside 0..100 and non-finite values', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
    expect(() => percentile([1], 100.5)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
    expect(() => percentile([1, Number.POSITIVE_INFINITY], 50)).toThrow(RangeError);
  });
});

describe('summarizeLatencies', () => {
  it('gives p50, p95 and p99 to a tenth of a millisecond', () => {
    const latencies = Array.from({ length: 30 }, (_, i) => (i + 1) * 10.03);
    expect(summarizeLatencies(latencies)).toEqual({ p50: 155.5, p95: 286.4, p99: 298 });
  });

  it('keeps the percentiles in order', () => {
    const latencies = [5, 900, 12, 40, 41, 43, 1000, 7];
    const { p50, p95, p99 } = summarizeLatencies(latencies);
    expect(p50).toBeLessThanOrEqual(p95);
    expect(p95).toBeLessThanOrEqual(p99);
    expect(p99).toBeLessThanOrEqual(1000);
  });
});

describe('throughputPerSecond', () => {
  it('divides the count by the wall time in seconds, to two decimals', () => {
    expect(throughputPerSecond(30, 1500)).toBe(20);
    expect(throughputPerSecond(10, 3000)).toBe(3.33);
  });

  it('refuses a wall time that is not positive', () => {
    expect(() => throughputPerSecond(1, 0)).toThrow(RangeError);
    expect(() => throughputPerSecond(1, -5)).toThrow(RangeError);
  });
});

describe('ratio', () => {
  it('is ours over theirs to three decimals', () => {
    expect(ratio(1, 3)).toBe(0.333);
    expect(ratio(50, 25)).toBe(2);
  });

  it('is null when there is nothing to compare with', () => {
    expect(ratio(5, 0)).toBeNull();
  });
});

describe('round', () => {
  it('rounds halves up at the given digit', () => {
    expect(round(1.25, 1)).toBe(1.3);
    expect(round(2.5, 0)).toBe(3);
    expect(round(123.456, 2)).toBe(123.46);
  });
});
