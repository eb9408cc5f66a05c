// What follows a failed resume attempt, decided from the error alone: wait for the circuit to
// half-open, decide again on fresh state, give up, or retry after a backoff delay. Pure, so every
// branch is tested without a backend; the reconciler turns the answer into status.
import { isBrokenCircuitError } from 'cockatiel';
import { classifyError, describeError } from '../domain/errors.js';
import { Reason } from '../domain/reasons.js';
import { retryDelayMs, type RetrySettings } from './retry-schedule.js';

export type AttemptMetric = 'circuit_open' | 'conflict' | 'terminal' | 'retryable';

export type AfterFailure =
  /** A breaker refused the call: nothing was sent, so no attempt is counted. */
  | { action: 'deferred'; metric: AttemptMetric; delayMs: number; nextAttemptTime: Date }
  /** The workflow changed or vanished between read and write: not a failed attempt. */
  | { action: 'decide-again'; metric: AttemptMetric; detail: string }
  | { action: 'fail'; metric: AttemptMetric; reason: Reason; message: string }
  | {
      action: 'retry';
      metric: AttemptMetric;
      delayMs: number;
      nextAttemptTime: Date;
      detail: string;
      message: string;
    };

export function afterFailedAttempt(
  error: unknown,
  attemptNumber: number,
  retry: RetrySettings,
  halfOpenAfterMs: number,
  now: Date,
  random: () => number = Math.random,
): AfterFailure {
  if (isBrokenCircuitError(error)) {
    return {
      action: 'deferred',
      metric: 'circuit_open',
      delayMs: halfOpenAfterMs,
      nextAttemptTime: new Date(now.getTime() + halfOpenAfterMs),
    };
  }
  const kind = classifyError(error);
  const detail = describeError(error);
  if (kind === 'conflict' || kind === 'not-found')
    return { action: 'decide-again', metric: 'conflict', detail };
  if (kind === 'terminal') {
    return {
      action: 'fail',
      metric: 'terminal',
      reason: Reason.BackendError,
      message: `the resume was refused: ${detail}; check the operator's RBAC and the workflow`,
    };
  }
  if (attemptNumber >= retry.maxAttempts) {
    return {
      action: 'fail',
      metric: 'retryable',
      reason: Reason.RetriesExhausted,
      message: `${attemptNumber} attempts to resume failed; last error: ${detail}. Create a new ResumeRequest once the cause is fixed`,
    };
  }
  const delayMs = retryDelayMs(retry, attemptNumber, random);
  const nextAttemptTime = new Date(now.getTime() + delayMs);
  return {
    action: 'retry',
    metric: 'retryable',
    delayMs,
    nextAttemptTime,
    detail,
    message: `attempt ${attemptNumber} of ${retry.maxAttempts} failed (${detail}); retrying at ${nextAttemptTime.toISOString()}`,
  };
}
