// Exponential backoff, the one formula every retry in the operator uses: the n-th consecutive
// failure waits initial·multiplierⁿ⁻¹, capped, optionally spread by ±jitter. Per-key backoff
// (reconcile errors), the reflector's restart delay and the resume retry schedule all call it.
import type { Clock } from './clock.js';

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** 2 when absent. */
  multiplier?: number;
  /** 0.1 spreads each delay uniformly over ±10 %; none when absent. */
  jitter?: number;
}

/** The delay after the `failures`-th consecutive failure (1-based). */
export function backoffDelay(
  policy: BackoffPolicy,
  failures: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 64);
  const base = Math.min(policy.maxMs, policy.initialMs * (policy.multiplier ?? 2) ** exponent);
  const spread = policy.jitter ? 1 + policy.jitter * (2 * random() - 1) : 1;
  return Math.round(Math.min(policy.maxMs, base * spread));
}

/** Per-key failure counts, like client-go's per-item rate limiter: a success forgets the key. */
export class KeyedBackoff {
  private readonly failures = new Map<string, number>();

  constructor(private readonly policy: BackoffPolicy) {}

  /** Counts one more failure of `key` and returns how long to wait before the next turn. */
  next(key: string): number {
    const count = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, count);
    return backoffDelay(this.policy, count);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * One backoff for one loop (a reflector's list and watch). As in client-go's backoff manager, the
 * count starts over only after `resetAfterMs` without a failure: a watch that dies right after
 * each successful start still backs off, instead of restarting at the initial delay every time.
 */
export class ResettingBackoff {
  private failures = 0;
  private lastFailureAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly policy: BackoffPolicy & { resetAfterMs: number },
    private readonly clock: Clock,
  ) {}

  next(): number {
    const now = this.clock.now();
    if (now - this.lastFailureAt > this.policy.resetAfterMs) this.failures = 0;
    this.lastFailureAt = now;
    this.failures += 1;
    return backoffDelay(this.policy, this.failures);
  }

  get consecutiveFailures(): number {
    return this.failures;
  }
}
