// One hard deadline for the whole benchmark. Every wait goes through `within`, so a step that
// hangs fails with a message naming the step instead of the run hanging until someone kills it,
// and `cancel` (on SIGINT or SIGTERM) ends every wait at once so the run unwinds through its
// clean-up.

export class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
}

export class Cancelled extends Error {
  override readonly name = 'Cancelled';
}

export class Deadline {
  private readonly endsAt: number;
  private readonly pending = new Set<(error: Error) => void>();
  private cancelled: Cancelled | undefined;
  /** Set once a signal has cancelled the run (see cancelOnSignals). */
  interrupted = false;

  constructor(readonly totalMs: number) {
    this.endsAt = Date.now() + totalMs;
  }

  remainingMs(): number {
    return this.cancelled ? 0 : Math.max(0, this.endsAt - Date.now());
  }

  /** Ends every wait now and refuses new ones, with `reason`. */
  cancel(reason: string): void {
    this.cancelled ??= new Cancelled(reason);
    for (const reject of this.pending) reject(this.cancelled);
    this.pending.clear();
  }

  /**
   * SIGINT or SIGTERM cancels the run, so it unwinds through its clean-up (operators, plane) and
   * exits; a second signal gives up on the clean-up.
   */
  cancelOnSignals(): void {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (this.interrupted) process.exit(130);
        this.interrupted = true;
        this.cancel(`interrupted by ${signal}`);
      });
    }
  }

  /** Settles as `work` does, or rejects once time is up (naming `what`) or the run is cancelled. */
  within<T>(what: string, work: Promise<T>): Promise<T> {
    if (this.cancelled) return Promise.reject(this.cancelled);
    let timer: NodeJS.Timeout | undefined;
    let stop!: (error: Error) => void;
    const expired = new Promise<never>((_, reject) => {
      stop = reject;
      this.pending.add(stop);
      timer = setTimeout(
        () =>
          reject(
            new DeadlineExceeded(
              `the benchmark's deadline of ${this.totalMs / 1000} s passed while waiting for ${what}`,
            ),
          ),
        this.remainingMs(),
      );
    });
    return Promise.race([work, expired]).finally(() => {
      clearTimeout(timer);
      this.pending.delete(stop);
    });
  }

  /** Resolves after `ms`, or rejects when the deadline or a cancellation comes first. */
  sleep(what: string, ms: number): Promise<void> {
    return this.within(what, new Promise<void>((resolve) => setTimeout(resolve, ms)));
  }
}
