// A list-watch cache of one resource, with client-go's reflector semantics, built on a ListWatch
// rather than client-node's informer (which stops for good on any error other than 410):
// - it lists once and then watches from the list's resourceVersion. With `streamLists` the list
//   is a streaming one (WatchList: every object sent as a watch event from the API server's watch
//   cache, read as fast as it is projected); where the API server refuses that, by pages;
// - when a watch ends, times out, or fails (connection refused, 429, 5xx), it watches again from
//   the last resourceVersion it saw: nothing was missed, so relisting would only cost the API
//   server a full read. Only 410 Gone (that version is no longer kept) forces a relist, and as
//   the last version is gone by then, every list is a consistent read of the latest state;
// - failures back off exponentially, and the backoff starts over only after a healthy interval,
//   so a watch that dies right after each start still slows down;
// - a resync re-delivers the cached objects to the handler every resync period, without any API
//   call, as a level-triggered safety net;
// - objects pass through `project` before they are stored. An object the projection refuses is
//   skipped and reported once per resourceVersion, and an error in the handler is logged: neither
//   ever stops the cache;
// - with a byte budget, each stored object is charged what it weighs to its namespace and to the
//   whole: one that does not fit is skipped and reported as well. Such an object is not seen
//   again until it changes, so once room has been freed (or after an object was skipped for a
//   passing reason) the cache relists, at most once per `retryAfterMs`, to take it in;
// - watch events and list items are projected in time slices (runtime/time-slices.ts), so a
//   burst of costly objects never holds the event loop for long.
import type { Logger } from '../observability/logger.js';
import { describeApiCall } from '../domain/errors.js';
import { ResettingBackoff } from './backoff.js';
import type { ByteBudget } from './byte-budget.js';
import { TimeSlices } from './time-slices.js';
import { systemClock, type Clock, type Timer } from './clock.js';
import {
  INITIAL_EVENTS_END,
  type ListPage,
  type ListWatch,
  type RawObject,
  type WatchEventType,
  type WatchHandle,
} from './list-watch.js';

/** Thrown by a projection for an object it cannot read; `reason` names why, for metrics and Events. */
export class UnreadableObject extends Error {
  override readonly name = 'UnreadableObject';

  /** `passing`: the object may be read another time (a budget that refills with time). */
  constructor(
    readonly reason: string,
    message: string,
    readonly passing = false,
  ) {
    super(message);
  }
}

export type ChangeType = 'added' | 'modified' | 'deleted' | 'resynced';

/** The reason an object is skipped when it does not fit the cache's byte budget. */
export const OVER_BUDGET = 'CacheBudgetExceeded';

export interface ReflectorBudget<T> {
  account: ByteBudget;
  /** What an object costs the budget. */
  weigh: (object: T) => number;
  /** Least time between relists made to take in objects the budget refused. */
  retryAfterMs: number;
}

export interface ReflectorOptions<T> {
  source: ListWatch;
  /**
   * What the cache keeps of an object; throw to skip an object that cannot be read. `previous`
   * is the copy it would replace, for a projection that can reuse what did not change.
   */
  project: (raw: RawObject, previous: T | undefined) => T;
  /** Charges every stored object to a byte budget, per namespace and in total. */
  budget?: ReflectorBudget<T>;
  /** `previous` is the cached copy it replaces (for 'deleted', the last one cached). */
  onChange: (type: ChangeType, object: T, previous: T | undefined) => void;
  /** An object `project` refused: called once per object and resourceVersion. */
  onSkipped?: (raw: RawObject, error: unknown) => void;
  logger: Logger;
  /** How often cached objects are re-delivered as 'resynced'; 0 turns resync off. */
  resyncIntervalMs: number;
  watchTimeoutSeconds: number;
  backoff?: { initialMs: number; maxMs: number; resetAfterMs: number };
  /**
   * Objects per list page; a page is held whole in memory while it is read, and the next one is
   * fetched meanwhile. A streaming list holds at most this many objects waiting to be projected.
   */
  pageSize?: number;
  /**
   * List by streaming (WatchList) first. An API server that refuses it (before Kubernetes 1.27,
   * or with the feature off) answers 4xx at once, and the cache lists by pages from then on.
   */
  streamLists?: boolean;
  /**
   * How long projecting watch events or list items may hold the event loop before the rest
   * waits for its next turn (DEFAULT_SLICE_MS).
   */
  sliceMs?: number;
  /**
   * Called once a relist (after 410 Gone, never the first list) has been applied: parsing every
   * object again leaves the heap as the start-up lists do (runtime/heap-compaction.ts).
   */
  onRelisted?: () => void;
  clock?: Clock;
}

/** client-go's defaults: 800 ms doubling to 30 s, forgotten after 2 minutes without failure. */
const DEFAULT_BACKOFF = { initialMs: 800, maxMs: 30_000, resetAfterMs: 120_000 };
const DEFAULT_PAGE_SIZE = 500;
/** Far below the lease's renew deadline, well above what projecting an ordinary object takes. */
const DEFAULT_SLICE_MS = 50;
/** A streaming list may run longer than a watch: it ends at its bookmark, well before this. */
const STREAM_LIST_TIMEOUT_SECONDS = 300;
/** A watch that closes this soon without a single event is treated as a failure, not a renewal. */
const SHORTEST_HEALTHY_WATCH_MS = 1000;

/** What a list read: the objects to cache, their versions, and the version to watch from. */
interface Listed<T> {
  fresh: Map<string, T>;
  freshVersions: Map<string, string>;
  version: string | undefined;
}

const emptyListed = <T>(): Listed<T> => ({ fresh: new Map(), freshVersions: new Map(), version: undefined });

/** An ERROR event other than 410 Gone, as an error carrying its status code. */
const watchErrorEvent = (raw: RawObject & { code?: number }) =>
  Object.assign(new Error(`watch error event: ${JSON.stringify(raw)}`), { statusCode: raw.code });

interface WatchEnd {
  error?: unknown;
  gone: boolean;
  events: number;
}

export const objectKey = (object: { metadata?: { namespace?: string; name?: string } }): string =>
  `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;

const statusCodeOf = (error: unknown): number | undefined => {
  const fields = error as { statusCode?: unknown; code?: unknown } | null;
  if (typeof fields?.statusCode === 'number') return fields.statusCode;
  return typeof fields?.code === 'number' ? fields.code : undefined;
};

export class Reflector<T> {
  private store = new Map<string, T>();
  /** resourceVersion of each cached object: a relist reports unchanged ones as 'resynced'. */
  private versions = new Map<string, string>();
  /** resourceVersion of each object last skipped, so it is reported once per version. */
  private readonly skipped = new Map<string, string>();
  private readonly clock: Clock;
  private readonly backoff: ResettingBackoff;
  private resourceVersion: string | undefined;
  private running = false;
  private synced = false;
  private handle: WatchHandle | undefined;
  private resyncTimer: Timer | undefined;
  private pause: { timer: Timer; wake: () => void } | undefined;
  /** Keys holding a charge in the budget. */
  private readonly charged = new Set<string>();
  /** The budget's freedCount when it last refused one of our objects; undefined when none waits. */
  private refusedAt: number | undefined;
  /** An object was skipped for a reason that passes with time: worth a relist later. */
  private passingSkip = false;
  private lastBudgetRelist = -Infinity;
  private readonly slices: TimeSlices;
  private readonly pageSize: number;
  private streamLists: boolean;

  constructor(private readonly options: ReflectorOptions<T>) {
    this.pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    this.streamLists = options.streamLists ?? false;
    this.clock = options.clock ?? systemClock;
    this.backoff = new ResettingBackoff(options.backoff ?? DEFAULT_BACKOFF, this.clock);
    this.slices = new TimeSlices(options.sliceMs ?? DEFAULT_SLICE_MS);
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  get name(): string {
    return this.options.source.resource;
  }

  get size(): number {
    return this.store.size;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.scheduleResync();
    void this.run();
  }

  stop(): void {
    this.running = false;
    this.resyncTimer?.cancel();
    this.handle?.stop();
    this.pause?.timer.cancel();
    this.pause?.wake();
  }

  get(namespace: string, name: string): T | undefined {
    return this.store.get(`${namespace}/${name}`);
  }

  /** Every cached object, for a look over the whole cache (metrics); not a copy. */
  values(): IterableIterator<T> {
    return this.store.values();
  }

  private async run(): Promise<void> {
    let needsList = true;
    while (this.running) {
      if (needsList) {
        try {
          const relist = this.synced;
          await this.list();
          needsList = false;
          if (relist && this.running) this.options.onRelisted?.();
        } catch (error) {
          await this.backOff('list', error);
        }
        continue;
      }
      const end = await this.watchOnce();
      if (!this.running) return;
      if (this.roomForRefused()) {
        this.options.logger.info('room freed in the cache budget, relisting', { resource: this.name });
        needsList = true;
      }
      if (end.gone) {
        this.options.logger.info('watch expired, relisting', { resource: this.name });
        needsList = true;
        await this.backOff('watch', undefined);
      } else if (end.error !== undefined && (end.error as { name?: unknown }).name !== 'TimeoutError') {
        await this.backOff('watch', end.error);
      }
      // Otherwise the server ended the stream (its timeout) or client-node aborted a silent one
      // after 30 s: the next watch resumes where this one stopped.
    }
  }

  private async list(): Promise<void> {
    const listed = (await this.streamedList()) ?? (this.running ? await this.pagedList() : undefined);
    if (listed === undefined || !this.running) return;
    const { fresh, freshVersions, version } = listed;
    const previous = this.store;
    const previousVersions = this.versions;
    for (const key of [...this.charged]) if (!fresh.has(key)) this.release(key);
    this.store = fresh;
    this.versions = freshVersions;
    this.resourceVersion = version;
    for (const [key, object] of fresh) {
      const before = previous.get(key);
      const change =
        before === undefined
          ? 'added'
          : previousVersions.get(key) === freshVersions.get(key)
            ? 'resynced'
            : 'modified';
      this.notify(change, object, before);
    }
    for (const [key, object] of previous) {
      if (!fresh.has(key)) this.notify('deleted', object, object);
    }
    this.synced = true;
  }

  /** A list by pages; undefined when the cache was stopped meanwhile. */
  private async pagedList(): Promise<Listed<T> | undefined> {
    const listed = emptyListed<T>();
    let continueToken: string | undefined;
    let next = this.fetchPage(undefined);
    do {
      const page = await next;
      if (!this.running) return undefined;
      continueToken = page.metadata?.continue || undefined;
      listed.version = page.metadata?.resourceVersion ?? listed.version;
      // The next page is asked for before this one is projected, so the API server prepares it
      // while this process parses.
      if (continueToken) next = this.fetchPage(continueToken);
      for (const raw of page.items) {
        await this.slices.yieldIfSpent();
        if (!this.running) return undefined;
        this.take(listed, raw);
      }
    } while (continueToken);
    return listed;
  }

  /**
   * Projects a listed object into `listed`. One the projection refuses is left out, and so is an
   * earlier copy of it: a stream may send an object more than once, and the last copy decides.
   */
  private take(listed: Listed<T>, raw: RawObject): void {
    const key = objectKey(raw);
    const object = this.project(raw, this.store.get(key));
    if (object === undefined) {
      listed.fresh.delete(key);
      listed.freshVersions.delete(key);
      return;
    }
    listed.fresh.set(key, object);
    listed.freshVersions.set(key, raw.metadata?.resourceVersion ?? '');
  }

  /**
   * A streaming list, when the API server offers it: undefined when it does not (or when the
   * cache was stopped), and the list is then made by pages. A failure that may pass (a dropped
   * connection, 429, 5xx) also falls back to pages for this once, and the next list streams again.
   */
  private async streamedList(): Promise<Listed<T> | undefined> {
    if (!this.streamLists) return undefined;
    try {
      return await this.streamList();
    } catch (error) {
      if (!this.running) return undefined;
      const code = statusCodeOf(error);
      const refused = code !== undefined && code >= 400 && code < 500 && code !== 410 && code !== 429;
      if (refused) this.streamLists = false;
      this.options.logger.info('streaming list failed, listing by pages', {
        resource: this.name,
        ...(refused ? { from: 'now on' } : {}),
        error: describeApiCall('watch', this.name, this.options.source.scope ?? '', error),
      });
      return undefined;
    }
  }

  private streamList(): Promise<Listed<T> | undefined> {
    const listed = emptyListed<T>();
    let handle: WatchHandle | undefined;
    let waiting = 0;
    let paused = false;
    let settled = false;
    return new Promise<Listed<T> | undefined>((resolve, reject) => {
      const settle = (end: () => void) => {
        if (settled) return;
        settled = true;
        if (this.handle === handle) this.handle = undefined;
        handle?.stop();
        end();
      };
      const read = (type: WatchEventType, raw: RawObject & { code?: number }) => {
        if (settled) return;
        if (!this.running) return settle(() => resolve(undefined));
        if (type === 'ERROR') return settle(() => reject(watchErrorEvent(raw)));
        if (type === 'BOOKMARK') {
          if (raw.metadata?.annotations?.[INITIAL_EVENTS_END] !== 'true') return;
          listed.version = raw.metadata.resourceVersion;
          return settle(() => resolve(listed));
        }
        if (type === 'DELETED') {
          listed.fresh.delete(objectKey(raw));
          listed.freshVersions.delete(objectKey(raw));
          return;
        }
        this.take(listed, raw);
      };
      this.options.source
        .watch(
          { resourceVersion: '', timeoutSeconds: STREAM_LIST_TIMEOUT_SECONDS, sendInitialEvents: true },
          (type, raw) => {
            // No more than a page of objects waits to be projected: past that the stream is
            // paused, and the API server holds the rest.
            waiting += 1;
            if (waiting >= this.pageSize && !paused) {
              paused = true;
              handle?.pause();
            }
            this.slices.run(() => {
              waiting -= 1;
              if (paused && waiting === 0) {
                paused = false;
                handle?.resume();
              }
              read(type, raw);
            });
          },
          (error) =>
            this.slices.run(() =>
              settle(() =>
                this.running
                  ? reject(error ?? new Error('the stream ended before all objects were sent'))
                  : resolve(undefined),
              ),
            ),
        )
        .then(
          (started) => {
            handle = started;
            if (settled || !this.running) return started.stop();
            this.handle = started;
            if (paused) started.pause();
          },
          (error: unknown) => settle(() => reject(error)),
        );
    });
  }

  /**
   * One list page. A page fetched ahead may be abandoned (the cache was stopped): its failure is
   * then noted here, not left unhandled; whoever awaits it still gets the rejection.
   */
  private fetchPage(continueToken: string | undefined): Promise<ListPage> {
    const page = this.options.source.list({
      ...(continueToken ? { continueToken } : {}),
      limit: this.pageSize,
    });
    page.catch(() => undefined);
    return page;
  }

  private watchOnce(): Promise<WatchEnd> {
    const started = this.clock.now();
    return new Promise<WatchEnd>((resolve) => {
      let gone = false;
      let streamError: unknown;
      let events = 0;
      // Runs after every event the stream delivered before it has been applied.
      const finish = (error: unknown) => this.slices.run(() => ended(error));
      const ended = (error: unknown) => {
        this.handle = undefined;
        const failed = error ?? streamError;
        const tooShort =
          failed === undefined && events === 0 && this.clock.now() - started < SHORTEST_HEALTHY_WATCH_MS;
        resolve({
          gone: gone || statusCodeOf(failed) === 410,
          events,
          ...(failed !== undefined && failed !== null
            ? { error: failed }
            : tooShort
              ? { error: new Error('the watch closed at once without an event') }
              : {}),
        });
      };
      this.options.source
        .watch(
          { resourceVersion: this.resourceVersion ?? '', timeoutSeconds: this.options.watchTimeoutSeconds },
          (type, raw) =>
            this.slices.run(() => {
              if (type === 'ERROR') {
                if (raw.code === 410) gone = true;
                else streamError = watchErrorEvent(raw);
                return;
              }
              events += 1;
              const version = raw.metadata?.resourceVersion;
              if (version) this.resourceVersion = version;
              if (type !== 'BOOKMARK') this.apply(type, raw);
            }),
          finish,
        )
        .then(
          (handle) => {
            this.handle = handle;
            if (!this.running) handle.stop();
          },
          // The watch was never sent: credentials that cannot be loaded, a bad URL.
          (error: unknown) => finish(error ?? new Error('watch could not start')),
        );
    });
  }

  private apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', raw: RawObject): void {
    const key = objectKey(raw);
    const previous = this.store.get(key);
    if (type === 'DELETED') {
      this.skipped.delete(key);
      if (previous === undefined) return;
      this.forget(key);
      this.notify('deleted', previous, previous);
      return;
    }
    const object = this.project(raw, previous);
    if (object === undefined) {
      // The cached copy no longer describes the object: handlers see it go.
      if (previous !== undefined) {
        this.forget(key);
        this.notify('deleted', previous, previous);
      }
      return;
    }
    this.store.set(key, object);
    this.versions.set(key, raw.metadata?.resourceVersion ?? '');
    this.notify(previous === undefined ? 'added' : 'modified', object, previous);
  }

  private forget(key: string): void {
    this.store.delete(key);
    this.versions.delete(key);
    this.release(key);
  }

  private release(key: string): void {
    if (this.charged.delete(key)) this.options.budget?.account.release(key);
  }

  /**
   * True, at most once per retryAfterMs, when room was freed since the budget refused an object
   * or an object was skipped for a reason that passes.
   */
  private roomForRefused(): boolean {
    const budget = this.options.budget;
    if (!budget) return false;
    const freed = this.refusedAt !== undefined && budget.account.freedCount > this.refusedAt;
    if (!freed && !this.passingSkip) return false;
    if (this.clock.now() - this.lastBudgetRelist < budget.retryAfterMs) return false;
    this.refusedAt = undefined;
    this.passingSkip = false;
    this.lastBudgetRelist = this.clock.now();
    return true;
  }

  /** Charges the object to the budget; throws UnreadableObject when it does not fit. */
  private charge(key: string, object: T): void {
    const budget = this.options.budget;
    if (!budget) return;
    const slash = key.indexOf('/');
    const charge = budget.account.charge(key, key.slice(0, slash), budget.weigh(object));
    if (charge.ok) {
      this.charged.add(key);
      return;
    }
    this.charged.delete(key);
    this.refusedAt = budget.account.freedCount;
    throw new UnreadableObject(OVER_BUDGET, charge.message);
  }

  private project(raw: RawObject, previous: T | undefined): T | undefined {
    const key = objectKey(raw);
    try {
      const object = this.options.project(raw, previous);
      this.charge(key, object);
      this.skipped.delete(key);
      return object;
    } catch (error) {
      if (error instanceof UnreadableObject && error.passing) this.passingSkip = true;
      const version = raw.metadata?.resourceVersion ?? '';
      if (this.skipped.get(key) !== version) {
        this.skipped.set(key, version);
        try {
          this.options.onSkipped?.(raw, error);
        } catch (reportError) {
          this.options.logger.error('reporting a skipped object failed', {
            resource: this.name,
            object: key,
            error: String(reportError),
          });
        }
      }
      return undefined;
    }
  }

  private notify(type: ChangeType, object: T, previous: T | undefined): void {
    try {
      this.options.onChange(type, object, previous);
    } catch (error) {
      this.options.logger.error('cache change handler failed', {
        resource: this.name,
        change: type,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  }

  private scheduleResync(): void {
    const every = this.options.resyncIntervalMs;
    if (every <= 0 || !this.running) return;
    this.resyncTimer = this.clock.after(every, () => {
      if (!this.running) return;
      if (this.synced) for (const object of [...this.store.values()]) this.notify('resynced', object, object);
      this.scheduleResync();
    });
  }

  /** Waits out the backoff delay (or until stopped). */
  private backOff(what: 'list' | 'watch', error: unknown): Promise<void> {
    const delay = this.backoff.next();
    if (error !== undefined) {
      this.options.logger.warn(`${what} failed, retrying`, {
        resource: this.name,
        attempt: this.backoff.consecutiveFailures,
        retryInMs: delay,
        error: describeApiCall(what, this.name, this.options.source.scope ?? '', error),
      });
    }
    return new Promise<void>((resolve) => {
      const wake = () => {
        this.pause = undefined;
        resolve();
      };
      this.pause = { timer: this.clock.after(delay, wake), wake };
    });
  }
}
