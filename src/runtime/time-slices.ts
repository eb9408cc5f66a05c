// Work that arrives in bursts and may each cost a lot (watch events whose projection inflates a
// compressed node map), run in order but in slices of the event loop: once a slice has run for
// `sliceMs`, the rest waits for the next turn, so the timers and sockets of everything else (the
// leader's lease renewals, other tenants' requests) get through between the pieces of a burst.

export class TimeSlices {
  private readonly backlog: Array<() => void> = [];
  private sliceStart: number | undefined;
  private drainScheduled = false;

  constructor(private readonly sliceMs: number) {}

  /** Runs `work` now if this slice has time left and nothing waits before it; otherwise in turn, later. */
  run(work: () => void): void {
    if (this.backlog.length === 0 && !this.spent()) {
      this.begin();
      work();
      return;
    }
    this.backlog.push(work);
    this.scheduleDrain();
  }

  /** Resolves at once while this slice has time left, otherwise on the event loop's next turn. */
  yieldIfSpent(): Promise<void> {
    this.begin();
    if (!this.spent()) return Promise.resolve();
    return new Promise((resolve) => setImmediate(resolve));
  }

  private spent(): boolean {
    return this.sliceStart !== undefined && performance.now() - this.sliceStart >= this.sliceMs;
  }

  /** Marks the start of a slice, which ends with this turn of the event loop. */
  private begin(): void {
    if (this.sliceStart !== undefined) return;
    this.sliceStart = performance.now();
    setImmediate(() => {
      this.sliceStart = undefined;
    });
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.begin();
      try {
        // At least one piece per turn, however short the slice.
        do this.backlog.shift()!();
        while (this.backlog.length > 0 && !this.spent());
      } finally {
        if (this.backlog.length > 0) this.scheduleDrain();
      }
    });
  }
}
