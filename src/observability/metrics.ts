// The operator's Prometheus metrics, each on a registry of its own so that several operators in
// one process (tests) do not collide. Its own are prefixed workflow_resume_ (docs/interfaces.md);
// the work queue's, the reconciles' and the API client's carry the names controller-runtime and
// client-go give them, so dashboards built for those read these too.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { buildInfo } from '../build-info.js';

/** The `name`/`controller` label of the work queue and reconcile metrics, as controller-runtime sets it. */
export const CONTROLLER_NAME = 'resumerequest';

/** controller-runtime's buckets for queue and work durations: 10 ns to 1000 s, ×10 each. */
const WORKQUEUE_BUCKETS = Array.from({ length: 12 }, (_, i) => 1e-8 * 10 ** i);

export interface Metrics {
  registry: Registry;
  requestsTotal: Counter<'phase' | 'reason'>;
  attemptsTotal: Counter<'result'>;
  durationSeconds: Histogram;
  latencySeconds: Histogram;
  retryAttempts: Histogram;
  circuitBreakerState: Gauge<'breaker'>;
  queueDepth: Gauge;
  reconcileErrorsTotal: Counter<'kind'>;
  isLeader: Gauge;
  objectsSkippedTotal: Counter<'kind' | 'reason'>;
  buildInfo: Gauge<'version' | 'revision'>;
  requests: Gauge<'phase'>;
  oldestRequestAgeSeconds: Gauge<'phase'>;
  workqueue: WorkqueueMetrics;
  reconcileTotal: Counter<'controller' | 'result'>;
  reconcileTimeSeconds: Histogram<'controller'>;
  restClientRequestsTotal: Counter<'code' | 'method' | 'host'>;
}

export interface WorkqueueMetrics {
  depth: Gauge<'name' | 'controller'>;
  addsTotal: Counter<'name' | 'controller'>;
  queueDurationSeconds: Histogram<'name' | 'controller'>;
  workDurationSeconds: Histogram<'name' | 'controller'>;
  unfinishedWorkSeconds: Gauge<'name' | 'controller'>;
  longestRunningProcessorSeconds: Gauge<'name' | 'controller'>;
  retriesTotal: Counter<'name' | 'controller'>;
}

export function createMetrics(options: { defaultMetrics: boolean }): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const queueLabels = ['name', 'controller'] as const;
  return {
    registry,
    requestsTotal: new Counter({
      name: 'workflow_resume_requests_total',
      help: 'ResumeRequests that reached a final phase, by phase and reason',
      labelNames: ['phase', 'reason'],
      registers,
    }),
    attemptsTotal: new Counter({
      name: 'workflow_resume_attempts_total',
      help: 'Resume attempts against a backend, by result (success, retryable, conflict, terminal, circuit_open)',
      labelNames: ['result'],
      registers,
    }),
    durationSeconds: new Histogram({
      name: 'workflow_resume_duration_seconds',
      help: 'Time from ResumeRequest creation to the workflow being resumed, including any wait for the stage',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
      registers,
    }),
    latencySeconds: new Histogram({
      name: 'workflow_resume_latency_seconds',
      help: 'Time from the moment a resume could be made (the later of the request being created and its stage being reached) to the workflow being resumed',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    retryAttempts: new Histogram({
      name: 'workflow_resume_retry_attempts',
      help: 'Attempts a ResumeRequest needed before it finished',
      buckets: [1, 2, 3, 4, 5, 8, 13],
      registers,
    }),
    circuitBreakerState: new Gauge({
      name: 'workflow_resume_circuit_breaker_state',
      help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open',
      labelNames: ['breaker'],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'workflow_resume_queue_depth',
      help: 'ResumeRequests ready to be reconciled, waiting for a worker (delayed retries and TTLs not counted)',
      registers,
    }),
    reconcileErrorsTotal: new Counter({
      name: 'workflow_resume_reconcile_errors_total',
      help: 'Reconciles that ended in an error and were requeued with backoff, by kind',
      labelNames: ['kind'],
      registers,
    }),
    isLeader: new Gauge({
      name: 'workflow_resume_leader',
      help: '1 while this replica holds the leader lease',
      registers,
    }),
    objectsSkippedTotal: new Counter({
      name: 'workflow_resume_objects_skipped_total',
      help: 'Objects a cache skipped because they cannot be read, by kind and reason (once per resourceVersion)',
      labelNames: ['kind', 'reason'],
      registers,
    }),
    buildInfo: buildInfoGauge(registers),
    requests: new Gauge({
      name: 'workflow_resume_requests',
      help: "ResumeRequests in the leader's cache, by phase (Pending: not reconciled yet)",
      labelNames: ['phase'],
      registers,
    }),
    oldestRequestAgeSeconds: new Gauge({
      name: 'workflow_resume_oldest_request_age_seconds',
      help: 'Age of the oldest unfinished ResumeRequest in each phase (Pending, Waiting, Resuming); 0 when there is none',
      labelNames: ['phase'],
      registers,
    }),
    workqueue: {
      depth: new Gauge({
        name: 'workqueue_depth',
        help: 'Current depth of the work queue: keys ready for a worker',
        labelNames: queueLabels,
        registers,
      }),
      addsTotal: new Counter({
        name: 'workqueue_adds_total',
        help: 'Keys added to the work queue, counting each time a key is queued',
        labelNames: queueLabels,
        registers,
      }),
      queueDurationSeconds: new Histogram({
        name: 'workqueue_queue_duration_seconds',
        help: 'How long a key stays ready in the work queue before a worker takes it',
        labelNames: queueLabels,
        buckets: WORKQUEUE_BUCKETS,
        registers,
      }),
      workDurationSeconds: new Histogram({
        name: 'workqueue_work_duration_seconds',
        help: 'How long processing a key from the work queue takes',
        labelNames: queueLabels,
        buckets: WORKQUEUE_BUCKETS,
        registers,
      }),
      unfinishedWorkSeconds: new Gauge({
        name: 'workqueue_unfinished_work_seconds',
        help: 'Seconds of work in progress that has not finished; large values mean stuck workers',
        labelNames: queueLabels,
        registers,
      }),
      longestRunningProcessorSeconds: new Gauge({
        name: 'workqueue_longest_running_processor_seconds',
        help: 'How long the longest-running worker has been processing its key',
        labelNames: queueLabels,
        registers,
      }),
      retriesTotal: new Counter({
        name: 'workqueue_retries_total',
        help: 'Keys put back on the work queue with backoff after a failed reconcile',
        labelNames: queueLabels,
        registers,
      }),
    },
    reconcileTotal: new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Reconciles, by result: success, error, requeue_after',
      labelNames: ['controller', 'result'],
      registers,
    }),
    reconcileTimeSeconds: new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'How long one reconcile takes',
      labelNames: ['controller'],
      buckets: [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1,
        1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
      ],
      registers,
    }),
    restClientRequestsTotal: new Counter({
      name: 'rest_client_requests_total',
      help: 'Requests to the Kubernetes API server, by HTTP status code (<error> when none came), method and host',
      labelNames: ['code', 'method', 'host'],
      registers,
    }),
  };
}

/** Always 1, labelled with the build: joins any series to the version that produced it. */
function buildInfoGauge(registers: Registry[]): Gauge<'version' | 'revision'> {
  const gauge = new Gauge({
    name: 'workflow_resume_build_info',
    help: 'The running build: version (package.json) and source revision; always 1',
    labelNames: ['version', 'revision'],
    registers,
  });
  gauge.set({ version: buildInfo.version, revision: buildInfo.revision }, 1);
  return gauge;
}
