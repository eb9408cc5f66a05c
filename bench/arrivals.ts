// Open-loop arrival schedules: when each event arrives, decided before the run and independent of
// how fast anything answers, as GitHub sends deliveries whether or not the last one was handled.
// A Poisson process at rate λ has independent, exponentially distributed gaps of mean 1/λ; the
// schedule is drawn from a seed, so both resume paths are offered the very same arrivals and a
// run can be replayed.
import { Random } from './random.js';

/**
 * Offsets in milliseconds from the start of the run, in increasing order, of the arrivals of a
 * Poisson process at `ratePerSecond` during `seconds` (every offset is below `seconds * 1000`).
 */
export function poissonArrivals(ratePerSecond: number, seconds: number, seed: number): number[] {
  if (!(ratePerSecond > 0 && Number.isFinite(ratePerSecond)))
    throw new RangeError(`arrival rate ${ratePerSecond} is not a positive number`);
  if (!(seconds > 0 && Number.isFinite(seconds)))
    throw new RangeError(`schedule length ${seconds} s is not a positive number`);
  const random = new Random(seed);
  const endMs = seconds * 1000;
  const meanGapMs = 1000 / ratePerSecond;
  const offsets: number[] = [];
  // 1 − U lies in (0, 1], so the logarithm is finite.
  for (let at = -Math.log(1 - random.next()) * meanGapMs; at < endMs; ) {
    offsets.push(at);
    at += -Math.log(1 - random.next()) * meanGapMs;
  }
  return offsets;
}
