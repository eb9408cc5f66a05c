// The operator's Prometheus metrics (prefix workflow_resume_, listed in docs/interfaces.md), each
// on a registry of its own so that several operators in one process (tests) do not collide.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  requestsTotal: Counter<'phase' | 'reason'>;
  attemptsTotal: Counter<'result'>;
  durationSeconds: Histogram;
  retryAttempts: Histogram;
  circuitBreakerState: Gauge<'breaker'>;
  queueDepth: Gauge;
  reconcileErrorsTotal: Counter<'kind'>;
  isLeader: Gauge;
  objectsSkippedTotal: Counter<'kind' | 'reason'>;
}

export function createMetrics(options: { defaultMetrics: boolean }): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
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
      help: 'Time from ResumeRequest creation to the workflow being resumed',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
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
  };
}
