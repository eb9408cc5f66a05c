// The soak's own API calls ride out the faults it injects, as Argo Events' Sensor (with
// atLeastOnce and a retryStrategy) and a GitOps tool would: connection failures, 5xx and 429 are
// tried again with backoff, for as long as a control-plane restart takes; anything else is an
// answer the caller deals with.
import type { Deadline } from '../bench/deadline.js';

const GIVE_UP_AFTER_MS = 120_000;

export const statusOf = (error: unknown): number | undefined => {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
};

function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  return status === undefined || status === 429 || status >= 500;
}

export async function retryTransient<T>(
  what: string,
  call: () => Promise<T>,
  deadline: Deadline,
): Promise<T> {
  const started = Date.now();
  for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
    try {
      return await deadline.within(what, call());
    } catch (error) {
      if (!isTransient(error) || Date.now() - started > GIVE_UP_AFTER_MS || deadline.remainingMs() === 0)
        throw error;
      await deadline.sleep(what, delay);
    }
  }
}
