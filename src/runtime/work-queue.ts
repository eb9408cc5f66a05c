// A keyed work queue in the manner of client-go's workqueue: a key is queued at most once, never
// processed by two workers at once (a key added while it is being processed is processed again
// afterwards), and may be added after a delay. Concurrency is bounded by the number of workers.

export type Handler = (key: string) => Promise<void>;

/** setTimeout's limit (2³¹−1 ms); longer delays fire immediately. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface WorkQueueOptions {
  concurrency: number;
  /** Called with the number of keys ready to run whenever it changes. */
  onDepthChange?: (ready: number) => void;
}

export class WorkQueue {
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirtyWhileProcessing = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly idleWaiters: Array<() => void> = [];
  private active = 0;
  private shuttingDown = false;
  private handler: Handler | undefined;

  constructor(private readonly options: WorkQueueOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new Error(`concurrency must be a positive integer, got ${options.concurrency}`);
    }
  }

  /** Starts dispatching keys to `handler`; errors thrown by it are the caller's to handle. */
  start(handler: Handler): void {
    this.handler = handler;
    this.dispatch();
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    this.cancelTimer(key);
    if (this.processing.has(key)) {
      this.dirtyWhileProcessing.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.ready.push(key);
    this.reportDepth();
    this.dispatch();
  }

  /**
   * Adds the key after `requestedMs`; an earlier pending delay for the same key wins. Delays past
   * what a Node timer can hold (about 24.8 days) are cut to that: a longer one would fire at once,
   * and the reconcile that runs then simply asks for the rest.
   */
  addAfter(key: string, requestedMs: number): void {
    if (this.shuttingDown) return;
    const delayMs = Math.min(requestedMs, MAX_TIMER_MS);
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    this.cancelTimer(key);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /**
   * Adds the key only if nothing is pending for it (not queued, delayed or being processed): the
   * nudge of a resync, which must not cut a scheduled wait short or add a run to one in hand.
   */
  addUnlessPending(key: string): void {
    if (this.queued.has(key) || this.processing.has(key) || this.timers.has(key)) return;
    this.add(key);
  }

  /**
   * Drops a re-run asked for while the key was being processed: for a key its handler has just
   * settled for good, the wake-ups that arrived meanwhile are about that very outcome.
   */
  discardPendingRerun(key: string): void {
    this.dirtyWhileProcessing.delete(key);
  }

  /** Keys waiting or delayed, not counting those being processed. */
  get depth(): number {
    return this.ready.length + this.timers.size;
  }

  get inFlight(): number {
    return this.active;
  }

  /** Stops intake and resolves when in-flight work is done or `timeoutMs` has passed. */
  async shutdown(timeoutMs: number): Promise<boolean> {
    this.shuttingDown = true;
    for (const key of [...this.timers.keys()]) this.cancelTimer(key);
    this.ready.length = 0;
    this.queued.clear();
    this.reportDepth();
    if (this.active === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return drained;
  }

  private cancelTimer(key: string): void {
    const pending = this.timers.get(key);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.timers.delete(key);
  }

  private dispatch(): void {
    const handler = this.handler;
    if (!handler) return;
    while (this.active < this.options.concurrency && this.ready.length > 0) {
      const key = this.ready.shift()!;
      this.queued.delete(key);
      this.processing.add(key);
      this.active += 1;
      this.reportDepth();
      void this.process(handler, key);
    }
  }

  private async process(handler: Handler, key: string): Promise<void> {
    try {
      await handler(key);
    } finally {
      this.processing.delete(key);
      this.active -= 1;
      if (this.dirtyWhileProcessing.delete(key)) this.add(key);
      if (this.active === 0 && this.shuttingDown) this.idleWaiters.splice(0).forEach((wake) => wake());
      this.dispatch();
    }
  }

  /** Reports the keys ready to run: delayed keys (TTLs, retry waits) are not a backlog. */
  private reportDepth(): void {
    this.options.onDepthChange?.(this.ready.length);
  }
}
