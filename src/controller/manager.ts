// Wires the controller together: two caches (ResumeRequests, play Workflows) feed the
// dispatcher, which queues keys through the wake-up indexes; workers run the reconciler, and
// what it returns decides when a key comes back. The reconciler's workflows come from here: the
// cached candidates of a task, or the same read whole. Only the leader runs the caches and the
// queue, and no reconcile starts before every cache has synced. Data flows one way:
// cache change → queue → reconcile → core decision → backend write → status.
import * as k8s from '@kubernetes/client-node';
import { GROUP, KIND, PLURAL, VERSION, type ResumeRequest } from '../api/resume-request.js';
import { WORKFLOW_GROUP, WORKFLOW_PLURAL, WORKFLOW_VERSION, type Workflow } from '../api/workflow.js';
import type { ResolvedRequest } from '../domain/correlate.js';
import { classifyError } from '../domain/errors.js';
import { apiCall } from '../runtime/api-call.js';
import { compactHeap } from '../runtime/heap-compaction.js';
import { systemClock, type Clock, type Timer } from '../runtime/clock.js';
import type { KubeTransport } from '../runtime/kube-transport.js';
import { customObjectsListWatch } from '../runtime/list-watch.js';
import { ByteBudget } from '../runtime/byte-budget.js';
import { RateBudget } from '../runtime/rate-budget.js';
import { objectKey, Reflector, type ReflectorBudget } from '../runtime/reflector.js';
import { WorkQueue } from '../runtime/work-queue.js';
import {
  recordRequestState,
  recordUnfinishedWork,
  requestState,
  workQueueObserver,
  recordQueueDepth,
} from './controller-metrics.js';
import { Dispatcher } from './dispatcher.js';
import { offloadedNodesReader } from './offloaded-nodes.js';
import { Reconciler, type ReconcilerContext } from './reconciler.js';
import { CachedRequestStore } from './request-store.js';
import { skipReporter } from './skip-reporter.js';
import { WakeUps } from './wake-ups.js';
import { projectRequest } from './request-projection.js';
import { projectWorkflow, type ProjectionLimits } from './workflow-projection.js';

export interface ManagerSettings {
  namespaces: string[];
  concurrency: number;
  /** Most workers busy with the requests of one namespace at once. */
  namespaceConcurrency: number;
  resyncIntervalMs: number;
  watchTimeoutSeconds: number;
  errorBackoffBaseMs: number;
  errorBackoffMaxMs: number;
  maxWorkflowNodes: number;
  maxNodeStatusBytes: number;
  maxCachedWorkflowBytes: number;
  maxCachedWorkflowBytesPerNamespace: number;
  maxInflatedBytesPerNamespace: number;
  listPageSize: number;
}

export type ManagerContext = Omit<ReconcilerContext, 'requests' | 'workflows'>;

/** How often start() looks whether the caches have synced before it lets workers run. */
const SYNC_POLL_MS = 50;
/**
 * A relist is compacted after, as the start-up lists are, once no other cache has relisted for
 * this long: one 410 Gone from a restarted API server makes every cache relist at once, and one
 * compaction after the last of them returns what all of them grew.
 */
const RELIST_COMPACTION_DELAY_MS = 2000;

export class Manager {
  private readonly requestCaches: Reflector<ResumeRequest>[];
  /** Keyed by namespace, or '' for the cache of all namespaces. */
  private readonly workflowCaches = new Map<string, Reflector<Workflow>>();
  private readonly wakeUps: WakeUps;
  private readonly requests: CachedRequestStore;
  private readonly queue: WorkQueue;
  private readonly dispatcher: Dispatcher;
  private readonly api: k8s.CustomObjectsApi;
  private readonly clock: Clock;
  private readonly limits: ProjectionLimits;
  private started = false;
  private compaction: Timer | undefined;

  /** `clients`: the caches list and watch through `transport`, the rare whole reads use `api`. */
  constructor(
    clients: { api: k8s.CustomObjectsApi; transport: KubeTransport },
    settings: ManagerSettings,
    private readonly context: ManagerContext,
    clock: Clock = systemClock,
  ) {
    this.clock = clock;
    this.api = clients.api;
    this.wakeUps = new WakeUps(context.domain);
    this.queue = new WorkQueue({
      concurrency: settings.concurrency,
      groupConcurrency: settings.namespaceConcurrency,
      onDepthChange: (depth) => recordQueueDepth(context.metrics, depth),
      observer: workQueueObserver(context.metrics.workqueue),
    });
    const scopes = settings.namespaces.length > 0 ? settings.namespaces : [undefined];
    const common = {
      logger: context.logger,
      resyncIntervalMs: settings.resyncIntervalMs,
      watchTimeoutSeconds: settings.watchTimeoutSeconds,
      pageSize: settings.listPageSize,
      streamLists: true,
      onRelisted: () => this.compactSoon(),
      clock,
    };
    const limits: ProjectionLimits = {
      maxNodes: settings.maxWorkflowNodes,
      maxInflatedBytes: settings.maxNodeStatusBytes,
      maxBytes: Math.min(settings.maxCachedWorkflowBytesPerNamespace, settings.maxCachedWorkflowBytes),
      inflation: new RateBudget({ capacity: settings.maxInflatedBytesPerNamespace, periodMs: 60_000 }, clock),
    };
    this.limits = limits;
    // One budget for every workflow cache: per namespace, and in total across them.
    const budget: ReflectorBudget<Workflow> = {
      account: new ByteBudget({
        total: settings.maxCachedWorkflowBytes,
        perGroup: settings.maxCachedWorkflowBytesPerNamespace,
      }),
      weigh: (workflow) => workflow.projection?.bytes ?? 0,
      retryAfterMs: settings.resyncIntervalMs,
    };
    this.requestCaches = scopes.map(
      (namespace) =>
        new Reflector<ResumeRequest>({
          ...common,
          source: customObjectsListWatch(clients.transport, {
            group: GROUP,
            version: VERSION,
            plural: PLURAL,
            ...(namespace ? { namespace } : {}),
          }),
          project: projectRequest,
          onChange: (type, request) => {
            if (type === 'deleted') this.requests.gone(objectKey(request));
            else this.requests.seen(request);
            this.dispatcher.requestChanged(type, request);
          },
          onSkipped: skipReporter(context, KIND, `${GROUP}/${VERSION}`),
        }),
    );
    for (const namespace of scopes) {
      this.workflowCaches.set(
        namespace ?? '',
        new Reflector<Workflow>({
          ...common,
          source: customObjectsListWatch(clients.transport, {
            group: WORKFLOW_GROUP,
            version: WORKFLOW_VERSION,
            plural: WORKFLOW_PLURAL,
            ...(namespace ? { namespace } : {}),
            labelSelector: `${context.domain.labels.workflowType}=${context.domain.workflowType}`,
          }),
          project: (raw, previous) => projectWorkflow(raw as Workflow, context.domain, limits, previous),
          budget,
          onChange: (type, workflow, previous) => this.dispatcher.workflowChanged(type, workflow, previous),
          onSkipped: skipReporter(context, 'Workflow', `${WORKFLOW_GROUP}/${WORKFLOW_VERSION}`),
        }),
      );
    }
    this.requests = new CachedRequestStore(
      (namespace, name) => this.requestCaches.map((cache) => cache.get(namespace, name)).find(Boolean),
      this.api,
      context.logger,
    );
    const requests = this.requests;
    const reconciler = new Reconciler({
      ...context,
      statusWriter: {
        write: async (request, status) => {
          const written = await context.statusWriter.write(request, status);
          requests.written(written);
          return written;
        },
      },
      requests: {
        get: (namespace, name) => requests.get(namespace, name),
        delete: (request) => requests.delete(request),
        reviewsOf: (namespace, taskId, stage) => this.wakeUps.reviewsOf(namespace, taskId, stage),
      },
      workflows: {
        candidates: (namespace, resolved) => this.candidates(namespace, resolved),
        readOne: (namespace, name) => this.readOne(namespace, name),
        complete: offloadedNodesReader(context.backend, (whole) =>
          projectWorkflow(whole, context.domain, limits),
        ),
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
      const heapCompacted = compactHeap();
      this.context.logger.info('caches synced, starting workers', { heapCompacted });
      this.queue.start((key) => this.dispatcher.process(key));
    };
    startWorkers();
  }

  /** Sets the gauges read from the caches and the queue; called before each scrape. */
  sampleMetrics(): void {
    if (!this.started) return;
    recordRequestState(
      this.context.metrics,
      requestState(
        (function* (caches) {
          for (const cache of caches) yield* cache.values();
        })(this.requestCaches),
        this.context.now(),
      ),
    );
    recordUnfinishedWork(this.context.metrics.workqueue, this.queue.unfinishedWork());
  }

  /** Compacts the heap once the caches have stopped relisting (RELIST_COMPACTION_DELAY_MS). */
  private compactSoon(): void {
    this.compaction?.cancel();
    this.compaction = this.clock.after(RELIST_COMPACTION_DELAY_MS, () => {
      this.compaction = undefined;
      if (!this.started) return;
      const heapCompacted = compactHeap();
      this.context.logger.info('caches relisted, heap compacted', { heapCompacted });
    });
  }

  /** Stops intake and waits up to `drainTimeoutMs` for reconciles in flight. */
  async stop(drainTimeoutMs: number): Promise<boolean> {
    this.started = false;
    this.compaction?.cancel();
    for (const cache of this.caches) cache.stop();
    const drained = await this.queue.shutdown(drainTimeoutMs);
    this.context.logger.info('controller stopped', { drained });
    return drained;
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

  private async readOne(namespace: string, name: string): Promise<Workflow | undefined> {
    try {
      return (await apiCall('get', 'workflows', `${namespace}/${name}`, () =>
        this.api.getNamespacedCustomObject({
          group: WORKFLOW_GROUP,
          version: WORKFLOW_VERSION,
          plural: WORKFLOW_PLURAL,
          namespace,
          name,
        }),
      )) as Workflow;
    } catch (error) {
      if (classifyError(error) === 'not-found') return undefined;
      throw error;
    }
  }

  private workflowCache(namespace: string): Reflector<Workflow> | undefined {
    return this.workflowCaches.get(namespace) ?? this.workflowCaches.get('');
  }
}
