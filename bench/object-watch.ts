// A watch on one kind of custom object in one namespace that keeps the latest copy of each
// object and lets callers wait for a condition on one of them. Each wait resolves with the
// moment (performance.now()) the event that satisfied it arrived, so latencies are measured from
// the API server's own notifications, with no polling interval added to them.
//
// The watch outlives quiet periods and broken streams the way client-go's reflector does: the
// server is asked to end each watch before client-node's inactivity timeout would abort it, and
// a watch that ends, times out or breaks is renewed from the last resourceVersion seen; only
// 410 Gone (that version is no longer kept) forces a relist, after which every waiter is
// checked against the listed objects, since events between the two may have been missed.
import { performance } from 'node:perf_hooks';
import * as k8s from '@kubernetes/client-node';
import type { Deadline } from './deadline.js';
import { retryWhileBusy } from './retry.js';

export interface Observed<T> {
  object: T;
  /** performance.now() when the satisfying event was received. */
  atMs: number;
}

/**
 * Each watch asks the server to end it after this long: below client-node's 30 s inactivity
 * timeout, so a quiet collection ends its watch cleanly instead of aborting it client-side.
 */
const WATCH_SECONDS = 20;
/** Renewals that fail one after another before the watch gives up, with their pauses. */
const MAX_CONSECUTIVE_FAILURES = 5;
const RENEW_PAUSE_MS = [0, 250, 500, 1000, 2000];

interface Waiter<T> {
  accept: (object: T) => boolean;
  refuse: ((object: T) => string | undefined) | undefined;
  resolve: (observed: Observed<T>) => void;
  reject: (error: Error) => void;
}

export interface CollectionRef {
  group: string;
  version: string;
  plural: string;
  namespace: string;
}

/** What the watch reads of every object. */
export interface Named {
  metadata?: { name?: string; resourceVersion?: string };
}

export class ObjectWatch<T extends Named> {
  private readonly latest = new Map<string, T>();
  private readonly waiters = new Map<string, Set<Waiter<T>>>();
  private readonly observers: Array<(object: T, atMs: number) => void> = [];
  private readonly watcher: k8s.Watch;
  private resourceVersion: string | undefined;
  private abort: AbortController | undefined;
  private failure: Error | undefined;
  private closed = false;
  private consecutiveFailures = 0;
  private readonly api: k8s.CustomObjectsApi;

  private constructor(
    kubeConfig: k8s.KubeConfig,
    private readonly ref: CollectionRef,
    private readonly deadline: Deadline,
  ) {
    this.watcher = new k8s.Watch(kubeConfig);
    this.api = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  }

  /** Replaces the copies with a fresh list and settles the waiters it decides. */
  private async list(what: string): Promise<void> {
    const list = (await retryWhileBusy(
      `${what} of ${this.description}`,
      () => this.api.listNamespacedCustomObject(this.ref),
      this.deadline,
    )) as { items: T[]; metadata?: { resourceVersion?: string } };
    const atMs = performance.now();
    this.latest.clear();
    for (const item of list.items) this.record(item, atMs);
    this.resourceVersion = list.metadata?.resourceVersion;
  }

  /** Lists the collection, then watches it from the list's resourceVersion. */
  static async start<T extends Named>(
    kubeConfig: k8s.KubeConfig,
    ref: CollectionRef,
    deadline: Deadline,
  ): Promise<ObjectWatch<T>> {
    const watch = new ObjectWatch<T>(kubeConfig, ref, deadline);
    await watch.list('the first list');
    await watch.watch();
    return watch;
  }

  get description(): string {
    return `${this.ref.plural} in ${this.ref.namespace}`;
  }

  /**
   * Resolves when `accept` holds for the named object (at once if it already does); rejects when
   * `refuse` returns a reason (the awaited state can no longer come) or the watch fails.
   */
  until(
    name: string,
    accept: (object: T) => boolean,
    refuse?: (object: T) => string | undefined,
  ): Promise<Observed<T>> {
    const observed = new Promise<Observed<T>>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const waiter: Waiter<T> = { accept, refuse, resolve, reject };
      const current = this.latest.get(name);
      if (current && this.settle(name, waiter, current, performance.now())) return;
      let waiting = this.waiters.get(name);
      if (!waiting) this.waiters.set(name, (waiting = new Set()));
      waiting.add(waiter);
    });
    // A wait nobody reached yet (an earlier one failed first) must not crash the process as an
    // unhandled rejection; whoever awaits it still sees the error.
    observed.catch(() => undefined);
    return observed;
  }

  /**
   * Calls `observer` with every copy received from now on (added or modified), with the moment it
   * arrived: for objects whose names are not known in advance, such as those created with
   * `generateName`.
   */
  observe(observer: (object: T, atMs: number) => void): void {
    this.observers.push(observer);
  }

  close(): void {
    this.closed = true;
    this.abort?.abort();
  }

  private async watch(): Promise<void> {
    const { group, version, plural, namespace } = this.ref;
    let ended = false;
    this.abort = await this.watcher.watch(
      `/apis/${group}/${version}/namespaces/${namespace}/${plural}`,
      { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: WATCH_SECONDS },
      (type, object: T & { code?: number; message?: string }) => {
        if (!ended) ended = this.onEvent(type, object);
      },
      (error: unknown) => {
        if (this.closed) return;
        if (ended) return;
        ended = true;
        void this.renew(error, false);
      },
    );
  }

  /**
   * Carries on after a watch ended: from the last resourceVersion, or from a fresh list when the
   * server no longer keeps it (`gone`). Fails every waiter only after repeated failures.
   */
  private async renew(error: unknown, gone: boolean): Promise<void> {
    this.abort?.abort();
    // A watch the server ended on time (no error) is the normal cycle, not a failure.
    this.consecutiveFailures = error ? this.consecutiveFailures + 1 : 0;
    if (this.consecutiveFailures >= MAX_CONSECUTIVE_FAILURES) {
      return this.fail(
        `${this.consecutiveFailures} renewals in a row failed, the last with ${String(error)}`,
      );
    }
    try {
      const pauseMs = RENEW_PAUSE_MS[this.consecutiveFailures] ?? 0;
      if (pauseMs > 0) await this.deadline.sleep(`renewing the watch on ${this.description}`, pauseMs);
      if (this.closed) return;
      if (gone) await this.list('a relist');
      if (this.closed) return;
      await this.watch();
    } catch (failure) {
      if (!this.closed) this.fail(String(failure));
    }
  }

  /** Handles one watch event; true when it ended this watch (a renewal is under way). */
  private onEvent(type: string, object: T & { code?: number; message?: string }): boolean {
    const atMs = performance.now();
    if (type === 'ERROR') {
      const gone = object.code === 410;
      void this.renew(gone ? undefined : new Error(`watch error ${object.code}: ${object.message}`), gone);
      return true;
    }
    this.resourceVersion = object.metadata?.resourceVersion ?? this.resourceVersion;
    if (type === 'BOOKMARK') return false;
    if (type === 'DELETED') {
      this.latest.delete(object.metadata!.name!);
      return false;
    }
    this.consecutiveFailures = 0;
    this.record(object, atMs);
    return false;
  }

  /** Keeps `object` as the latest copy and settles the waiters it decides. */
  private record(object: T, atMs: number): void {
    const name = object.metadata!.name!;
    this.latest.set(name, object);
    for (const observer of this.observers) observer(object, atMs);
    const waiting = this.waiters.get(name);
    if (!waiting) return;
    for (const waiter of waiting) if (this.settle(name, waiter, object, atMs)) waiting.delete(waiter);
    if (waiting.size === 0) this.waiters.delete(name);
  }

  /** Settles `waiter` if `object` decides it; true when it did. */
  private settle(name: string, waiter: Waiter<T>, object: T, atMs: number): boolean {
    const refusal = waiter.refuse?.(object);
    if (refusal) {
      waiter.reject(new Error(`${this.ref.plural} ${this.ref.namespace}/${name}: ${refusal}`));
      return true;
    }
    if (!waiter.accept(object)) return false;
    waiter.resolve({ object, atMs });
    return true;
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.failure = new Error(`the watch on ${this.description} failed: ${reason}`);
    for (const waiting of this.waiters.values()) for (const waiter of waiting) waiter.reject(this.failure);
    this.waiters.clear();
  }
}
