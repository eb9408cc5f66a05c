// The two calls a reflector makes, list and watch, as an interface: the real one below talks to
// the API server through client-node; unit tests hand the reflector a scripted one.
import * as k8s from '@kubernetes/client-node';

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
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchHandle {
  stop(): void;
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

export function customObjectsListWatch(kubeConfig: k8s.KubeConfig, resource: CustomResource): ListWatch {
  const api = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const watcher = new k8s.Watch(kubeConfig);
  const { group, version, plural, namespace, labelSelector } = resource;
  const path = namespace
    ? `/apis/${group}/${version}/namespaces/${namespace}/${plural}`
    : `/apis/${group}/${version}/${plural}`;
  return {
    resource: `${plural}.${group}`,
    scope: namespace ?? '(all namespaces)',
    async list({ continueToken, limit }) {
      const common = {
        group,
        version,
        plural,
        labelSelector,
        limit,
        _continue: continueToken,
      };
      return (await (namespace
        ? api.listNamespacedCustomObject({ ...common, namespace })
        : api.listClusterCustomObject(common))) as ListPage;
    },
    async watch({ resourceVersion, timeoutSeconds }, onEvent, onDone) {
      const controller = await watcher.watch(
        path,
        { resourceVersion, allowWatchBookmarks: true, labelSelector, timeoutSeconds },
        (type: string, object: RawObject & { code?: number }) => onEvent(type as WatchEventType, object),
        onDone,
      );
      return { stop: () => controller.abort() };
    },
  };
}
