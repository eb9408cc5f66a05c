// Right after start-up the apiserver answers 429 "storage is (re)initializing" for a resource
// whose watch cache is still filling. That is the plane warming up, not a failure: wait as the
// server asks (Retry-After) and try again, within the deadline.
import type { Deadline } from './deadline.js';

interface ApiError {
  code?: number;
  headers?: Record<string, string>;
}

export async function retryWhileBusy<T>(
  what: string,
  call: () => Promise<T>,
  deadline: Deadline,
): Promise<T> {
  for (;;) {
    try {
      return await deadline.within(what, call());
    } catch (error) {
      const { code, headers } = error as ApiError;
      if (code !== 429) throw error;
      const seconds = Number(headers?.['retry-after']);
      await deadline.sleep(
        what,
        Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 5) * 1000 : 1000,
      );
    }
  }
}
