// A keyed work queue in the manner of client-go's workqueue: a key is queued at most once, never
// processed by two workers at once (a key added while it is being processed is processed again
// afterwards), and may be added after a delay. Concurrency is bounded by the number of workers.
//
// Keys belong to groups (the namespace of `namespace/name`), and the queue is fair between them:
// workers take the next key of each group in turn, and no group holds more than
// `groupConcurrency` workers at once, so one tenant's backlog or slow turns cannot take every
// worker from the others. Within a group, keys keep the order they were added in.

export type Handler = (key: string) => Promise<void>;

/** setTimeout's limit (2³¹−1 ms); longer delays fire immediately. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface WorkQueueOptions {
  concurrency: number;
  /** Most workers busy with keys of one group at once; all of them when absent. */
  groupConcurrency?: number;
  /** The group of a key; by default what comes before its first `/` (a namespace). */
  groupOf?: (key: string) => string;
  /** Called with the number of keys ready to run whenever it changes. */
  onDepthChange?: (ready: number) => void;
  /** Told of each key queued, taken by a worker and finished, as client-go's queue metrics are. */
  observer?: WorkQueueObserver;
  /** Milliseconds since some epoch; Date.now by default (tests pass a fake clock's). */
  now?: () => number;
}

export interface WorkQueueObserver {
  /** A key became ready (it was not queued already). */
  added(): void;
  /** A worker took a key that had been ready for `waitedMs`. */
  started(waitedMs: number): void;
  /** A worker finished a key after `workedMs`. */
  finished(workedMs: number): void;
}

/** Work in progress at one moment: its total and its longest, in milliseconds. */
export interface UnfinishedWork {
  totalMs: number;
  longestMs: number;
}

const namespaceOf = (key: string): string => {
  const slash = key.indexOf('/');
  return slash === -1 ? '' : key.slice(0, slash);
};

/** A first-in, first-out list whose removals from the front cost nothing however long it grows. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

export class WorkQueue {
  /** Ready keys by group; a group is here only while it has some. */
  private readonly ready = new Map<string, Fifo<string>>();
  /** Groups with ready keys, in the order they get their next worker. */
  private rotation = new Fifo<string>();
  private readyCount = 0;
  private readonly busy = new Map<string, number>();
  private readonly groupConcurrency: number;
  private readonly groupOf: (key: string) => string;
  /** Ready keys and since when. */
  private readonly queued = new Map<string, number>();
  /** Keys being processed and since when. */
  private readonly processing = new Map<string, number>();
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
    const perGroup = options.groupConcurrency ?? options.concurrency;
    if (!Number.isInteger(perGroup) || perGroup < 1) {
      throw new Error(`groupConcurrency must be a positive integer, got ${perGroup}`);
    }
    this.groupConcurrency = Math.min(perGroup, options.concurrency);
    this.groupOf = options.groupOf ?? namespaceOf;
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
    this.queued.set(key, this.now());
    const group = this.groupOf(key);
    let keys = this.ready.get(group);
    if (!keys) {
      keys = new Fifo<string>();
      this.ready.set(group, keys);
      this.rotation.push(group);
    }
    keys.push(key);
    this.readyCount += 1;
    this.options.observer?.added();
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
    return this.readyCount + this.timers.size;
  }

  get inFlight(): number {
    return this.active;
  }

  /** How long the keys being processed have been at it. */
  unfinishedWork(): UnfinishedWork {
    const now = this.now();
    let totalMs = 0;
    let longestMs = 0;
    for (const since of this.processing.values()) {
      totalMs += now - since;
      longestMs = Math.max(longestMs, now - since);
    }
    return { totalMs, longestMs };
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Stops intake and resolves when in-flight work is done or `timeoutMs` has passed. */
  async shutdown(timeoutMs: number): Promise<boolean> {
    this.shuttingDown = true;
    for (const key of [...this.timers.keys()]) this.cancelTimer(key);
    this.ready.clear();
    this.rotation = new Fifo<string>();
    this.readyCount = 0;
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
    while (this.active < this.options.concurrency && this.readyCount > 0) {
      const key = this.nextKey();
      if (key === undefined) return;
      const now = this.now();
      this.options.observer?.started(now - this.queued.get(key)!);
      this.queued.delete(key);
      this.processing.set(key, now);
      this.active += 1;
      this.reportDepth();
      void this.process(handler, key);
    }
  }

  /**
   * The first key of the next group in turn that has a worker to spare, the group going to the
   * back of the turn; undefined when every group with ready keys is at its limit.
   */
  private nextKey(): string | undefined {
    for (let tried = this.rotation.length; tried > 0; tried--) {
      const group = this.rotation.shift()!;
      const keys = this.ready.get(group)!;
      if ((this.busy.get(group) ?? 0) >= this.groupConcurrency) {
        this.rotation.push(group);
        continue;
      }
      const key = keys.shift()!;
      this.readyCount -= 1;
      if (keys.length > 0) this.rotation.push(group);
      else this.ready.delete(group);
      this.busy.set(group, (this.busy.get(group) ?? 0) + 1);
      return key;
    }
    return undefined;
  }

  private async process(handler: Handler, key: string): Promise<void> {
    try {
      await handler(key);
    } finally {
      this.options.observer?.finished(this.now() - this.processing.get(key)!);
      this.processing.delete(key);
      this.active -= 1;
      const group = this.groupOf(key);
      const busy = (this.busy.get(group) ?? 1) - 1;
      if (busy === 0) this.busy.delete(group);
      else this.busy.set(group, busy);
      if (this.dirtyWhileProcessing.delete(key)) this.add(key);
      if (this.active === 0 && this.shuttingDown) this.idleWaiters.splice(0).forEach((wake) => wake());
      this.dispatch();
    }
  }

  /** Reports the keys ready to run: delayed keys (TTLs, retry waits) are not a backlog. */
  private reportDepth(): void {
    this.options.onDepthChange?.(this.readyCount);
  }
}
