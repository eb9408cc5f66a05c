// The two calls a reflector makes, list and watch, as an interface: the real one below talks to
// the API server through the KubeTransport; unit tests hand the reflector a scripted one.
import type * as k8s from '@kubernetes/client-node';
import type { KubeTransport } from './kube-transport.js';

export type RawObject = k8s.KubernetesObject;

export interface ListPage {
  items: RawObject[];
  metadata?: { continue?: string; resourceVersion?: string };
}

export interface ListOptions {
  continueToken?: string;
  limit: number;
}

export interface WatchOptions {
  resourceVersion: string;
  timeoutSeconds: number;
  /**
   * A streaming list (Kubernetes' WatchList): the watch first sends every object as ADDED, from
   * the API server's watch cache, then a bookmark annotated INITIAL_EVENTS_END, then changes.
   */
  sendInitialEvents?: boolean;
}

/** The annotation on the bookmark that ends a streaming list's initial events. */
export const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchHandle {
  stop(): void;
  /** Stops reading the stream until resume(): the API server waits, rather than this process buffering. */
  pause(): void;
  resume(): void;
}

export interface ListWatch {
  /** `plural.group`, for logs and metrics. */
  readonly resource: string;
  /** The namespace it lists, or `(all namespaces)`: for messages. */
  readonly scope?: string;
  list(options: ListOptions): Promise<ListPage>;
  /**
   * Starts a watch. `onDone` is called exactly once when the stream ends, with the error if
   * there was one. The returned promise rejects when the watch could not even be sent (for
   * example, credentials that cannot be loaded); `onDone` is then not called.
   */
  watch(
    options: WatchOptions,
    onEvent: (type: WatchEventType, object: RawObject & { code?: number }) => void,
    onDone: (error: unknown) => void,
  ): Promise<WatchHandle>;
}

export interface CustomResource {
  group: string;
  version: string;
  plural: string;
  /** One namespace; all namespaces when absent. */
  namespace?: string;
  labelSelector?: string;
}

export function customObjectsListWatch(transport: KubeTransport, resource: CustomResource): ListWatch {
  const { group, version, plural, namespace, labelSelector } = resource;
  const path = namespace
    ? `/apis/${group}/${version}/namespaces/${namespace}/${plural}`
    : `/apis/${group}/${version}/${plural}`;
  return {
    resource: `${plural}.${group}`,
    scope: namespace ?? '(all namespaces)',
    list: ({ continueToken, limit }) =>
      transport.request<ListPage>('GET', path, { query: { labelSelector, limit, continue: continueToken } }),
    async watch({ resourceVersion, timeoutSeconds, sendInitialEvents }, onEvent, onDone) {
      const streaming = sendInitialEvents
        ? { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' }
        : {};
      return transport.watch(
        path,
        {
          ...(resourceVersion ? { resourceVersion } : {}),
          ...streaming,
          allowWatchBookmarks: true,
          labelSelector,
          timeoutSeconds,
        },
        (type, object) => onEvent(type as WatchEventType, object as RawObject & { code?: number }),
        onDone,
      );
    },
  };
}
