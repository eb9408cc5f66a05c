// What a reconcile turn returns: what should happen next, never how. The dispatcher turns it into
// queue operations; the reconciler never touches the queue or the indexes. Errors are thrown and
// the dispatcher requeues them with per-key backoff; outcomes that retrying cannot change are not
// errors but statuses, written by the reconciler itself.
export type ReconcileResult =
  /** Nothing more to do until something changes. */
  | { kind: 'done' }
  /** Look again after this long (a retry wait, a deadline, the periodic recheck, a TTL). */
  | { kind: 'requeue'; afterMs: number }
  /** The request reached its final phase: no more wake-ups; it expires after `expireAfterMs`. */
  | { kind: 'settled'; expireAfterMs: number | undefined }
  /** The target moved between decision and write: decide again soon, with per-key backoff. */
  | { kind: 'decide-again'; detail: string };

export const done: ReconcileResult = { kind: 'done' };

export const requeueAfter = (ms: number): ReconcileResult => ({
  kind: 'requeue',
  afterMs: Math.max(0, Math.round(ms)),
});

export const settled = (expireAfterMs: number | undefined): ReconcileResult => ({
  kind: 'settled',
  expireAfterMs,
});

export const decideAgain = (detail: string): ReconcileResult => ({ kind: 'decide-again', detail });
