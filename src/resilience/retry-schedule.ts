// The delays between resume attempts: exponential with a ±jitter factor, computed by cockatiel's
// ExponentialBackoff. Attempts are counted in the ResumeRequest status rather than in a loop
// inside one reconcile, so a wait between attempts is a requeue (no worker sleeps) and the
// count survives a restart of the operator.
import { ExponentialBackoff, type IBackoff } from 'cockatiel';

export interface RetrySettings {
  /** Total attempts, the first included (cockatiel's own maxAttempts counts only retries). */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
  /** 0.1 spreads each delay uniformly over ±10 %. */
  jitter: number;
}

type Random = () => number;

/** The delay to wait after the `failedAttempts`-th failed attempt (1-based). */
export function retryDelayMs(
  settings: RetrySettings,
  failedAttempts: number,
  random: Random = Math.random,
): number {
  const backoff = new ExponentialBackoff<number>({
    initialDelay: settings.initialDelayMs,
    maxDelay: settings.maxDelayMs,
    exponent: settings.multiplier,
    generator: (attempt = 0, options) => {
      const base = Math.min(options.maxDelay, options.initialDelay * options.exponent ** attempt);
      const spread = 1 + settings.jitter * (2 * random() - 1);
      return [Math.round(Math.min(options.maxDelay, base * spread)), attempt + 1];
    },
  });
  let step: IBackoff<unknown> = backoff.next();
  for (let i = 1; i < failedAttempts; i += 1) step = step.next(undefined);
  return step.duration;
}

/** "2.1s": the form status.retryDelays records. */
export function formatDelay(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1).replace(/\.?0+$/, '')}s`;
}
