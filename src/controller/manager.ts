// Wires the controller together: two caches (ResumeRequests, play Workflows) feed a keyed work
// queue; workers run the reconciler; results and errors decide when a key comes back. Only the
// leader runs the caches and the queue. Data flows one way:
// cache change → queue → reconcile → core decision → backend write → status.
import * as k8s from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, isTerminalPhase, type ResumeRequest } from '../api/resume-request.js';
import { WORKFLOW_GROUP, WORKFLOW_PLURAL, WORKFLOW_VERSION, type Workflow } from '../api/workflow.js';
import type { DomainConfig } from '../domain/config.js';
import { workflowFieldSelector, workflowLabelSelector, type ResolvedRequest } from '../domain/correlate.js';
import { classifyError, describeError } from '../domain/errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { ErrorBackoff } from '../runtime/error-backoff.js';
import { Reflector, type ChangeType } from '../runtime/reflector.js';
import { Reconciler, type ReconcilerContext } from './reconciler.js';
import { NamespacedIndex } from '../runtime/namespaced-index.js';
import { WorkQueue } from '../runtime/work-queue.js';
import { projectRequest } from './request-projection.js';
import { projectWorkflow } from './workflow-projection.js';

export interface ManagerSettings {
  namespaces: string[];
  concurrency: number;
  resyncIntervalMs: number;
  watchTimeoutSeconds: number;
  errorBackoffBaseMs: number;
  errorBackoffMaxMs: number;
}

export type ManagerContext = Omit<ReconcilerContext, 'requests' | 'workflows'>;

const keyOf = (object: { metadata?: { namespace?: string; name?: string } }) =>
  `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;

export class Manager {
  private readonly requestCaches: Reflector<ResumeRequest>[];
  /** Keyed by namespace, or '' for the cache of all namespaces. */
  private readonly workflowCaches = new Map<string, Reflector<Workflow>>();
  private readonly waitingByTask = new NamespacedIndex();
  /** Requests that name their workflow and no task: woken by that workflow's changes. */
  private readonly waitingByWorkflow = new NamespacedIndex();
  private readonly workflowsByTask = new NamespacedIndex();
  private readonly queue: WorkQueue;
  private readonly backoff: ErrorBackoff;
  private readonly reconciler: Reconciler;
  private readonly api: k8s.CustomObjectsApi;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly domain: DomainConfig;

  constructor(kubeConfig: k8s.KubeConfig, settings: ManagerSettings, context: ManagerContext) {
    this.logger = context.logger;
    this.metrics = context.metrics;
    this.domain = context.domain;
    this.api = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    this.queue = new WorkQueue({
      concurrency: settings.concurrency,
      onDepthChange: (depth) => this.metrics.queueDepth.set(depth),
    });
    this.backoff = new ErrorBackoff(settings.errorBackoffBaseMs, settings.errorBackoffMaxMs);
    const scopes = settings.namespaces.length > 0 ? settings.namespaces : [undefined];
    const common = {
      kubeConfig,
      logger: this.logger,
      relistIntervalMs: settings.resyncIntervalMs,
      watchTimeoutSeconds: settings.watchTimeoutSeconds,
      backoffInitialMs: 500,
      backoffMaxMs: 30_000,
    };
    this.requestCaches = scopes.map(
      (namespace) =>
        new Reflector<ResumeRequest>({
          ...common,
          group: GROUP,
          version: VERSION,
          plural: PLURAL,
          ...(namespace ? { namespace } : {}),
          project: projectRequest,
          onChange: (type, request) => this.onRequestChange(type, request),
        }),
    );
    for (const namespace of scopes) {
      this.workflowCaches.set(
        namespace ?? '',
        new Reflector<Workflow>({
          ...common,
          group: WORKFLOW_GROUP,
          version: WORKFLOW_VERSION,
          plural: WORKFLOW_PLURAL,
          ...(namespace ? { namespace } : {}),
          labelSelector: `${this.domain.labels.workflowType}=${this.domain.workflowType}`,
          project: (raw) => projectWorkflow(raw as Workflow, this.domain),
          onChange: (type, workflow, previous) => this.onWorkflowChange(type, workflow, previous),
        }),
      );
    }
    this.reconciler = new Reconciler({
      ...context,
      requests: {
        get: (namespace, name) => this.getRequest(namespace, name),
        delete: (request) => this.deleteRequest(request),
        settled: (request) => this.settled(keyOf(request)),
      },
      workflows: {
        candidates: (namespace, resolved) => this.candidates(namespace, resolved),
        readWhole: (namespace, resolved) => this.readWhole(namespace, resolved),
      },
    });
  }

  /** True once every cache has listed at least once. */
  get ready(): boolean {
    return [...this.requestCaches, ...this.workflowCaches.values()].every((cache) => cache.hasSynced);
  }

  start(): void {
    this.logger.info('starting controller');
    for (const cache of [...this.workflowCaches.values(), ...this.requestCaches]) cache.start();
    this.queue.start((key) => this.process(key));
  }

  /** Stops intake and waits up to `drainTimeoutMs` for reconciles in flight. */
  async stop(drainTimeoutMs: number): Promise<boolean> {
    for (const cache of [...this.workflowCaches.values(), ...this.requestCaches]) cache.stop();
    const drained = await this.queue.shutdown(drainTimeoutMs);
    this.logger.info('controller stopped', { drained });
    return drained;
  }

  private async process(key: string): Promise<void> {
    try {
      const result = await this.reconciler.reconcile(key);
      this.backoff.forget(key);
      if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
    } catch (error) {
      const kind = classifyError(error);
      this.metrics.reconcileErrorsTotal.inc({ kind });
      if (kind === 'conflict') {
        // Our read was stale (normally our own earlier write): look again on fresh state.
        this.logger.debug('conflict, requeueing', { request: key });
        this.queue.addAfter(key, 0);
        return;
      }
      // Outcomes retrying cannot change are written to status by the reconciler; what is thrown
      // is an API or programming error, retried with backoff (and visible in logs and metrics)
      // rather than dropped until the next resync.
      const delay = this.backoff.next(key);
      this.logger.log(kind === 'terminal' ? 'error' : 'warn', 'reconcile failed, requeueing', {
        request: key,
        kind,
        retryInMs: delay,
        error: describeError(error),
      });
      this.queue.addAfter(key, delay);
    }
  }

  private onRequestChange(type: ChangeType, request: ResumeRequest): void {
    const key = keyOf(request);
    const phase = request.status?.phase;
    if (type === 'deleted' || (phase && isTerminalPhase(phase))) {
      this.stopWaking(key);
    } else {
      const taskId = request.status?.taskId ?? request.spec?.taskId;
      this.waitingByTask.set(key, request.metadata.namespace!, taskId);
      this.waitingByWorkflow.set(
        key,
        request.metadata.namespace!,
        taskId ? undefined : request.spec?.workflowName,
      );
    }
    if (type === 'deleted') return;
    // Our own status writes come back as modifications; only a changed generation or a fresh
    // object needs a reconcile (terminal requests still need one to schedule their TTL).
    if (type === 'modified' && request.status?.observedGeneration === request.metadata.generation) return;
    this.queue.add(key);
  }

  private stopWaking(key: string): void {
    this.waitingByTask.remove(key);
    this.waitingByWorkflow.remove(key);
  }

  /** Settled by its reconcile: no more wake-ups, including one its own resume already caused. */
  private settled(key: string): void {
    this.stopWaking(key);
    this.queue.discardPendingRerun(key);
  }

  private onWorkflowChange(type: ChangeType, workflow: Workflow, previous: Workflow | undefined): void {
    const key = keyOf(workflow);
    const namespace = workflow.metadata.namespace;
    const taskId = workflow.metadata.labels?.[this.domain.labels.taskId];
    if (type === 'deleted') this.workflowsByTask.remove(key);
    else this.workflowsByTask.set(key, namespace, taskId);
    const previousTask = previous?.metadata.labels?.[this.domain.labels.taskId];
    for (const task of new Set([taskId, previousTask])) {
      if (!task) continue;
      for (const requestKey of this.waitingByTask.keysFor(namespace, task)) this.queue.add(requestKey);
    }
    for (const requestKey of this.waitingByWorkflow.keysFor(namespace, workflow.metadata.name))
      this.queue.add(requestKey);
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
      this.logger.info('deleted finished request after its TTL', { request: keyOf(request) });
    } catch (error) {
      if (classifyError(error) !== 'not-found') throw error;
    }
  }

  private candidates(namespace: string, target: ResolvedRequest): Workflow[] {
    const cache = this.workflowCache(namespace);
    if (!cache) return [];
    if (target.taskId === undefined) {
      const named = target.workflowName === undefined ? undefined : cache.get(namespace, target.workflowName);
      return named ? [named] : [];
    }
    return this.workflowsByTask
      .keysFor(namespace, target.taskId)
      .map((key) => cache.get(namespace, key.slice(namespace.length + 1)))
      .filter((workflow): workflow is Workflow => workflow !== undefined);
  }

  private async readWhole(namespace: string, resolved: ResolvedRequest): Promise<Workflow[]> {
    const fieldSelector = workflowFieldSelector(resolved);
    const list = (await this.api.listNamespacedCustomObject({
      group: WORKFLOW_GROUP,
      version: WORKFLOW_VERSION,
      plural: WORKFLOW_PLURAL,
      namespace,
      labelSelector: workflowLabelSelector(resolved, this.domain),
      ...(fieldSelector ? { fieldSelector } : {}),
    })) as { items: Workflow[] };
    return list.items;
  }

  private workflowCache(namespace: string): Reflector<Workflow> | undefined {
    return this.workflowCaches.get(namespace) ?? this.workflowCaches.get('');
  }
}
