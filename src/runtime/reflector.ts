// A list-watch cache of one custom resource, built on client-node's Watch rather than its
// informer, because the informer stops for good on any error other than 410. This one lists
// (paginated), watches from the list's resourceVersion, re-watches when the server closes the
// stream, relists on 410 Gone and periodically, and restarts after errors with capped
// exponential backoff. Objects are passed through `project` before they are stored, so the cache
// holds only the fields the controller reads.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { describeApiCall } from '../domain/errors.js';

export type ChangeType = 'added' | 'modified' | 'deleted' | 'resynced';

export interface ReflectorOptions<T> {
  kubeConfig: k8s.KubeConfig;
  group: string;
  version: string;
  plural: string;
  /** Restricts the cache to one namespace; all namespaces when absent. */
  namespace?: string;
  labelSelector?: string;
  project: (raw: k8s.KubernetesObject) => T;
  onChange: (type: ChangeType, object: T, previous: T | undefined) => void;
  logger: Logger;
  relistIntervalMs: number;
  watchTimeoutSeconds: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  pageSize?: number;
}

interface Meta {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

const keyOf = (object: Meta) => `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;

export class Reflector<T extends Meta> {
  private readonly store = new Map<string, T>();
  private readonly api: k8s.CustomObjectsApi;
  private readonly watcher: k8s.Watch;
  private resourceVersion: string | undefined;
  private abort: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private lastRelist = 0;
  private running = false;
  private synced = false;

  constructor(private readonly options: ReflectorOptions<T>) {
    this.api = options.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    this.watcher = new k8s.Watch(options.kubeConfig);
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  get name(): string {
    return `${this.options.plural}.${this.options.group}`;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.relist();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.abort?.abort();
  }

  get(namespace: string, name: string): T | undefined {
    return this.store.get(`${namespace}/${name}`);
  }

  private async relist(): Promise<void> {
    if (!this.running) return;
    try {
      const items: k8s.KubernetesObject[] = [];
      let continueToken: string | undefined;
      let listVersion: string | undefined;
      do {
        const page = (await this.listPage(continueToken)) as {
          items: k8s.KubernetesObject[];
          metadata?: { continue?: string; resourceVersion?: string };
        };
        items.push(...page.items);
        continueToken = page.metadata?.continue || undefined;
        listVersion = page.metadata?.resourceVersion;
      } while (continueToken);
      this.replace(items);
      this.resourceVersion = listVersion;
      this.lastRelist = Date.now();
      this.synced = true;
      this.failures = 0;
      void this.watch();
    } catch (error) {
      this.retryLater('list', error);
    }
  }

  private listPage(continueToken: string | undefined): Promise<unknown> {
    const { group, version, plural, namespace, labelSelector } = this.options;
    const common = {
      group,
      version,
      plural,
      labelSelector,
      limit: this.options.pageSize ?? 500,
      _continue: continueToken,
    };
    return namespace
      ? this.api.listNamespacedCustomObject({ ...common, namespace })
      : this.api.listClusterCustomObject(common);
  }

  private replace(items: k8s.KubernetesObject[]): void {
    const seen = new Set<string>();
    for (const raw of items) {
      const object = this.options.project(raw);
      const key = keyOf(object);
      seen.add(key);
      const previous = this.store.get(key);
      this.store.set(key, object);
      this.options.onChange(previous ? 'resynced' : 'added', object, previous);
    }
    for (const [key, object] of this.store) {
      if (seen.has(key)) continue;
      this.store.delete(key);
      this.options.onChange('deleted', object, object);
    }
  }

  private async watch(): Promise<void> {
    if (!this.running) return;
    if (Date.now() - this.lastRelist >= this.options.relistIntervalMs) return void this.relist();
    const { group, version, plural, namespace, labelSelector } = this.options;
    const path = namespace
      ? `/apis/${group}/${version}/namespaces/${namespace}/${plural}`
      : `/apis/${group}/${version}/${plural}`;
    let gone = false;
    this.abort = await this.watcher.watch(
      path,
      {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        labelSelector,
        timeoutSeconds: this.options.watchTimeoutSeconds,
      },
      (type, raw: k8s.KubernetesObject & { code?: number }) => {
        if (type === 'ERROR') {
          gone = raw.code === 410;
          return;
        }
        this.resourceVersion = raw.metadata?.resourceVersion ?? this.resourceVersion;
        if (type === 'BOOKMARK') return;
        this.apply(type, raw);
      },
      (error: unknown) => {
        if (!this.running) return;
        if (gone || (error as { statusCode?: number } | null)?.statusCode === 410) {
          this.options.logger.info('watch expired, relisting', { resource: this.name });
          return void this.relist();
        }
        // client-node aborts a watch that has been silent for 30 s; nothing was missed, so it
        // resumes from the last resourceVersion like a watch the server closed.
        if (error && (error as { name?: string }).name !== 'TimeoutError')
          return this.retryLater('watch', error);
        this.failures = 0;
        void this.watch();
      },
    );
  }

  private apply(type: string, raw: k8s.KubernetesObject): void {
    const object = this.options.project(raw);
    const key = keyOf(object);
    const previous = this.store.get(key);
    if (type === 'DELETED') {
      this.store.delete(key);
      this.options.onChange('deleted', object, previous);
      return;
    }
    this.store.set(key, object);
    this.options.onChange(previous ? 'modified' : 'added', object, previous);
  }

  private retryLater(what: string, error: unknown): void {
    if (!this.running) return;
    this.failures += 1;
    const delay = Math.min(
      this.options.backoffMaxMs,
      this.options.backoffInitialMs * 2 ** (this.failures - 1),
    );
    this.options.logger.warn(`${what} failed, retrying`, {
      resource: this.name,
      attempt: this.failures,
      retryInMs: delay,
      error: describeApiCall(what, this.name, this.options.namespace ?? '(all namespaces)', error),
    });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.relist(), delay);
    this.timer.unref();
  }
}
