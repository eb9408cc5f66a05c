// A watch on one kind of custom object in one namespace that keeps the latest copy of each
// object and lets callers wait for a condition on one of them. Each wait resolves with the
// moment (performance.now()) the event that satisfied it arrived, so latencies are measured from
// the API server's own notifications, with no polling interval added to them.
import { performance } from 'node:perf_hooks';
import * as k8s from '@kubernetes/client-node';
import type { Deadline } from './deadline.js';
import { retryWhileBusy } from './retry.js';

export interface Observed<T> {
  object: T;
  /** performance.now() when the satisfying event was received. */
  atMs: number;
}

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
  private readonly watcher: k8s.Watch;
  private resourceVersion: string | undefined;
  private abort: AbortController | undefined;
  private failure: Error | undefined;
  private closed = false;

  private constructor(
    kubeConfig: k8s.KubeConfig,
    private readonly ref: CollectionRef,
  ) {
    this.watcher = new k8s.Watch(kubeConfig);
  }

  /** Lists the collection, then watches it from the list's resourceVersion. */
  static async start<T extends Named>(
    kubeConfig: k8s.KubeConfig,
    ref: CollectionRef,
    deadline: Deadline,
  ): Promise<ObjectWatch<T>> {
    const watch = new ObjectWatch<T>(kubeConfig, ref);
    const api = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    const list = (await retryWhileBusy(
      `the first list of ${watch.description}`,
      () => api.listNamespacedCustomObject(ref),
      deadline,
    )) as { items: T[]; metadata?: { resourceVersion?: string } };
    for (const item of list.items) watch.latest.set(item.metadata!.name!, item);
    watch.resourceVersion = list.metadata?.resourceVersion;
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

  close(): void {
    this.closed = true;
    this.abort?.abort();
  }

  private async watch(): Promise<void> {
    const { group, version, plural, namespace } = this.ref;
    this.abort = await this.watcher.watch(
      `/apis/${group}/${version}/namespaces/${namespace}/${plural}`,
      { resourceVersion: this.resourceVersion, allowWatchBookmarks: true },
      (type, object: T & { code?: number; message?: string }) => this.onEvent(type, object),
      (error: unknown) => {
        if (this.closed) return;
        // The apiserver ends every watch after a while; carry on from where this one stopped.
        if (!error) return void this.watch().catch((failure: unknown) => this.fail(failure));
        this.fail(error);
      },
    );
  }

  private onEvent(type: string, object: T & { code?: number; message?: string }): void {
    const atMs = performance.now();
    if (type === 'ERROR') return this.fail(new Error(`watch error ${object.code}: ${object.message}`));
    this.resourceVersion = object.metadata?.resourceVersion ?? this.resourceVersion;
    if (type === 'BOOKMARK') return;
    const name = object.metadata!.name!;
    if (type === 'DELETED') {
      this.latest.delete(name);
      return;
    }
    this.latest.set(name, object);
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

  private fail(error: unknown): void {
    if (this.closed) return;
    this.failure = new Error(`the watch on ${this.description} failed: ${String(error)}`);
    for (const waiting of this.waiters.values()) for (const waiter of waiting) waiter.reject(this.failure);
    this.waiters.clear();
  }
}
