// Time as the runtime sees it: the current instant and one-shot timers. Injected, so the
// reflector, leader election and their tests share one notion of time, and a test can step it.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Runs `callback` after `ms`; the timer never keeps the process alive by itself. */
  after(ms: number, callback: () => void): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, callback) {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};

/**
 * Settles like `promise`, or rejects with a DeadlineExceeded error once `ms` have passed on
 * `clock`. The call behind `promise` is not cancelled; the caller merely stops waiting for it.
 */
export function withDeadline<T>(clock: Clock, ms: number, what: string, promise: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.after(Math.max(0, ms), () =>
      reject(
        Object.assign(new Error(`${what} did not answer within ${ms} ms`), { name: 'DeadlineExceeded' }),
      ),
    );
    promise.then(
      (value) => {
        timer.cancel();
        resolve(value);
      },
      (error: unknown) => {
        timer.cancel();
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
