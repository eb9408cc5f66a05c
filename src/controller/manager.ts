// Wires the controller together: two caches (ResumeRequests, play Workflows) feed the
// dispatcher, which queues keys through the wake-up indexes; workers run the reconciler, and
// what it returns decides when a key comes back. This file also holds the controller's API
// reads and deletes. Only the leader runs the caches and the queue, and no reconcile starts
// before every cache has synced. Data flows one way:
// cache change → queue → reconcile → core decision → backend write → status.
import * as k8s from '@kubernetes/client-node';
import { GROUP, KIND, PLURAL, VERSION, type ResumeRequest } from '../api/resume-request.js';
import { WORKFLOW_GROUP, WORKFLOW_PLURAL, WORKFLOW_VERSION, type Workflow } from '../api/workflow.js';
import { workflowFieldSelector, workflowLabelSelector, type ResolvedRequest } from '../domain/correlate.js';
import { classifyError } from '../domain/errors.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import { customObjectsListWatch, type RawObject } from '../runtime/list-watch.js';
import { Reflector, UnreadableObject, objectKey } from '../runtime/reflector.js';
import { WorkQueue } from '../runtime/work-queue.js';
import { Dispatcher } from './dispatcher.js';
import { Reconciler, type ReconcilerContext } from './reconciler.js';
import { WakeUps } from './wake-ups.js';
import { projectWorkflow, type ProjectionLimits } from './workflow-projection.js';

export interface ManagerSettings {
  namespaces: string[];
  concurrency: number;
  resyncIntervalMs: number;
  watchTimeoutSeconds: number;
  errorBackoffBaseMs: number;
  errorBackoffMaxMs: number;
  maxWorkflowNodes: number;
  maxNodeStatusBytes: number;
}

export type ManagerContext = Omit<ReconcilerContext, 'requests' | 'workflows'>;

/** How often start() looks whether the caches have synced before it lets workers run. */
const SYNC_POLL_MS = 50;

export class Manager {
  private readonly requestCaches: Reflector<ResumeRequest>[];
  /** Keyed by namespace, or '' for the cache of all namespaces. */
  private readonly workflowCaches = new Map<string, Reflector<Workflow>>();
  private readonly wakeUps: WakeUps;
  private readonly queue: WorkQueue;
  private readonly dispatcher: Dispatcher;
  private readonly api: k8s.CustomObjectsApi;
  private readonly clock: Clock;
  private readonly limits: ProjectionLimits;
  private started = false;

  constructor(
    kubeConfig: k8s.KubeConfig,
    settings: ManagerSettings,
    private readonly context: ManagerContext,
    clock: Clock = systemClock,
  ) {
    this.clock = clock;
    this.api = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    this.wakeUps = new WakeUps(context.domain);
    this.queue = new WorkQueue({
      concurrency: settings.concurrency,
      onDepthChange: (depth) => context.metrics.queueDepth.set(depth),
    });
    const scopes = settings.namespaces.length > 0 ? settings.namespaces : [undefined];
    const common = {
      logger: context.logger,
      resyncIntervalMs: settings.resyncIntervalMs,
      watchTimeoutSeconds: settings.watchTimeoutSeconds,
      clock,
    };
    const limits: ProjectionLimits = {
      maxNodes: settings.maxWorkflowNodes,
      maxInflatedBytes: settings.maxNodeStatusBytes,
    };
    this.limits = limits;
    this.requestCaches = scopes.map(
      (namespace) =>
        new Reflector<ResumeRequest>({
          ...common,
          source: customObjectsListWatch(kubeConfig, {
            group: GROUP,
            version: VERSION,
            plural: PLURAL,
            ...(namespace ? { namespace } : {}),
          }),
          // What the request cache keeps of each request.
          project: (raw) => raw as ResumeRequest,
          onChange: (type, request) => this.dispatcher.requestChanged(type, request),
          onSkipped: (raw, error) => this.reportSkipped(KIND, `${GROUP}/${VERSION}`, raw, error),
        }),
    );
    for (const namespace of scopes) {
      this.workflowCaches.set(
        namespace ?? '',
        new Reflector<Workflow>({
          ...common,
          source: customObjectsListWatch(kubeConfig, {
            group: WORKFLOW_GROUP,
            version: WORKFLOW_VERSION,
            plural: WORKFLOW_PLURAL,
            ...(namespace ? { namespace } : {}),
            labelSelector: `${context.domain.labels.workflowType}=${context.domain.workflowType}`,
          }),
          project: (raw) => projectWorkflow(raw as Workflow, context.domain, limits),
          onChange: (type, workflow, previous) => this.dispatcher.workflowChanged(type, workflow, previous),
          onSkipped: (raw, error) =>
            this.reportSkipped('Workflow', `${WORKFLOW_GROUP}/${WORKFLOW_VERSION}`, raw, error),
        }),
      );
    }
    const reconciler = new Reconciler({
      ...context,
      requests: {
        get: (namespace, name) => this.getRequest(namespace, name),
        delete: (request) => this.deleteRequest(request),
      },
      workflows: {
        candidates: (namespace, resolved) => this.candidates(namespace, resolved),
        readWhole: (namespace, resolved) => this.readWhole(namespace, resolved),
      },
    });
    this.dispatcher = new Dispatcher({
      queue: this.queue,
      wakeUps: this.wakeUps,
      reconcile: (input) => reconciler.reconcile(input),
      errorBackoff: { initialMs: settings.errorBackoffBaseMs, maxMs: settings.errorBackoffMaxMs },
      ttlSecondsAfterFinished: context.ttlSecondsAfterFinished,
      now: context.now,
      logger: context.logger,
      metrics: context.metrics,
    });
  }

  private get caches(): Array<Reflector<ResumeRequest> | Reflector<Workflow>> {
    return [...this.workflowCaches.values(), ...this.requestCaches];
  }

  /** True once every cache has listed at least once. */
  get ready(): boolean {
    return this.caches.every((cache) => cache.hasSynced);
  }

  /** Starts the caches, and the workers once every cache has synced: no decision on a partial view. */
  start(): void {
    this.context.logger.info('starting controller');
    this.started = true;
    for (const cache of this.caches) cache.start();
    const startWorkers = () => {
      if (!this.started) return;
      if (!this.ready) return void this.clock.after(SYNC_POLL_MS, startWorkers);
      this.context.logger.info('caches synced, starting workers');
      this.queue.start((key) => this.dispatcher.process(key));
    };
    startWorkers();
  }

  /** Stops intake and waits up to `drainTimeoutMs` for reconciles in flight. */
  async stop(drainTimeoutMs: number): Promise<boolean> {
    this.started = false;
    for (const cache of this.caches) cache.stop();
    const drained = await this.queue.shutdown(drainTimeoutMs);
    this.context.logger.info('controller stopped', { drained });
    return drained;
  }

  /** An object a cache could not read: a warning, a metric and an Event on it, once per version. */
  private reportSkipped(kind: string, apiVersion: string, raw: RawObject, error: unknown): void {
    const reason = error instanceof UnreadableObject ? error.reason : 'Unreadable';
    const message = `skipped by workflow-resume-operator: ${error instanceof Error ? error.message : String(error)}`;
    const namespace = raw.metadata?.namespace ?? '';
    const name = raw.metadata?.name ?? '';
    this.context.metrics.objectsSkippedTotal.inc({ kind, reason });
    this.context.logger.warn('skipped an object that cannot be read', {
      kind,
      object: `${namespace}/${name}`,
      resourceVersion: raw.metadata?.resourceVersion,
      reason,
      error: message,
    });
    if (!namespace || !name) return;
    void this.context.events.record(
      { apiVersion, kind, namespace, name, ...(raw.metadata?.uid ? { uid: raw.metadata.uid } : {}) },
      'Warning',
      reason,
      message,
    );
  }

  private async getRequest(namespace: string, name: string): Promise<ResumeRequest | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace,
        name,
      })) as ResumeRequest;
    } catch (error) {
      if (classifyError(error) === 'not-found') return undefined;
      throw error;
    }
  }

  private async deleteRequest(request: ResumeRequest): Promise<void> {
    try {
      await this.api.deleteNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace: request.metadata.namespace!,
        name: request.metadata.name!,
        body: {
          preconditions: { uid: request.metadata.uid, resourceVersion: request.metadata.resourceVersion },
        },
      });
      this.context.logger.info('deleted finished request after its TTL', { request: objectKey(request) });
    } catch (error) {
      if (classifyError(error) !== 'not-found') throw error;
    }
  }

  private candidates(namespace: string, target: ResolvedRequest): Workflow[] {
    const cache = this.workflowCache(namespace);
    if (!cache) return [];
    const names =
      target.taskId === undefined
        ? target.workflowName === undefined
          ? []
          : [target.workflowName]
        : this.wakeUps.workflowsOfTask(namespace, target.taskId);
    return names
      .map((name) => cache.get(namespace, name))
      .filter((workflow): workflow is Workflow => workflow !== undefined);
  }

  private async readWhole(namespace: string, resolved: ResolvedRequest): Promise<Workflow[]> {
    const fieldSelector = workflowFieldSelector(resolved);
    const list = (await this.api.listNamespacedCustomObject({
      group: WORKFLOW_GROUP,
      version: WORKFLOW_VERSION,
      plural: WORKFLOW_PLURAL,
      namespace,
      labelSelector: workflowLabelSelector(resolved, this.context.domain),
      ...(fieldSelector ? { fieldSelector } : {}),
    })) as { items: Workflow[] };
    // The same checks as the cache's: a workflow it would skip is not decided on here either.
    return list.items.filter((workflow) => {
      try {
        projectWorkflow(workflow, this.context.domain, this.limits);
        return true;
      } catch {
        return false;
      }
    });
  }

  private workflowCache(namespace: string): Reflector<Workflow> | undefined {
    return this.workflowCaches.get(namespace) ?? this.workflowCaches.get('');
  }
}
