// What a reconcile returns, as in controller-runtime: done, or look again after a delay. Errors
// are thrown; the dispatcher requeues them with per-key backoff unless they are terminal.

export interface ReconcileResult {
  requeueAfterMs?: number;
}

export const done: ReconcileResult = {};

export function requeueAfter(ms: number): ReconcileResult {
  return { requeueAfterMs: Math.max(0, Math.round(ms)) };
}

/** An error that retrying cannot fix; it is logged and the key is not requeued. */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
}
