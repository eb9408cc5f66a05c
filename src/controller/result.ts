// What a reconcile returns, as in controller-runtime: done, or look again after a delay. Errors
// are thrown and the dispatcher requeues them with per-key backoff; outcomes that retrying cannot
// change are not errors but statuses, written by the reconciler itself.

export interface ReconcileResult {
  requeueAfterMs?: number;
}

export const done: ReconcileResult = {};

export function requeueAfter(ms: number): ReconcileResult {
  return { requeueAfterMs: Math.max(0, Math.round(ms)) };
}
