// The delays between resume attempts: exponential with a ±jitter factor. Attempts are counted in
// the ResumeRequest status rather than in a loop inside one reconcile, so a wait between attempts
// is a requeue (no worker sleeps) and the count survives a restart of the operator.
import { backoffDelay } from '../runtime/backoff.js';

export interface RetrySettings {
  /** Total attempts, the first included. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
  /** 0.1 spreads each delay uniformly over ±10 %. */
  jitter: number;
}

/** The delay to wait after the `failedAttempts`-th failed attempt (1-based). */
export function retryDelayMs(
  settings: RetrySettings,
  failedAttempts: number,
  random: () => number = Math.random,
): number {
  return backoffDelay(
    {
      initialMs: settings.initialDelayMs,
      maxMs: settings.maxDelayMs,
      multiplier: settings.multiplier,
      jitter: settings.jitter,
    },
    failedAttempts,
    random,
  );
}

/** "2.1s": the form status.retryDelays records. */
export function formatDelay(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1).replace(/\.?0+$/, '')}s`;
}
