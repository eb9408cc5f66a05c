// What the controller tells Prometheus beyond its counters: the work queue's behaviour under
// client-go's names, the state of the requests in its cache (by phase, and the age of the oldest
// unfinished one), and the zero series that alerts need from the moment a replica leads.
import type { ResumeRequest } from '../api/resume-request.js';
import { ALL_REASONS } from '../domain/reasons.js';
import { CONTROLLER_NAME, type Metrics, type WorkqueueMetrics } from '../observability/metrics.js';
import type { UnfinishedWork, WorkQueueObserver } from '../runtime/work-queue.js';
import { SkipReason } from './workflow-projection.js';

const queueLabels = { name: CONTROLLER_NAME, controller: CONTROLLER_NAME };

/** Phases counted by workflow_resume_requests; Pending stands for a request with no status yet. */
export const REQUEST_PHASES = ['Pending', 'Waiting', 'Resuming', 'Succeeded', 'Failed', 'Ignored'] as const;
/** Phases whose oldest request's age is exported. */
export const UNFINISHED_PHASES = ['Pending', 'Waiting', 'Resuming'] as const;
/** Error kinds of classifyError, each a series of reconcile_errors_total. */
const ERROR_KINDS = ['conflict', 'retryable', 'terminal', 'not-found'] as const;
const ATTEMPT_RESULTS = ['success', 'retryable', 'conflict', 'terminal', 'circuit_open'] as const;

export function workQueueObserver(metrics: WorkqueueMetrics): WorkQueueObserver {
  return {
    added: () => metrics.addsTotal.inc(queueLabels),
    started: (waitedMs) => metrics.queueDurationSeconds.observe(queueLabels, waitedMs / 1000),
    finished: (workedMs) => metrics.workDurationSeconds.observe(queueLabels, workedMs / 1000),
  };
}

export function recordQueueDepth(metrics: Metrics, depth: number): void {
  metrics.queueDepth.set(depth);
  metrics.workqueue.depth.set(queueLabels, depth);
}

export function recordUnfinishedWork(metrics: WorkqueueMetrics, work: UnfinishedWork): void {
  metrics.unfinishedWorkSeconds.set(queueLabels, work.totalMs / 1000);
  metrics.longestRunningProcessorSeconds.set(queueLabels, work.longestMs / 1000);
}

export interface RequestState {
  byPhase: Record<(typeof REQUEST_PHASES)[number], number>;
  /** Seconds since the creation of the oldest request of each unfinished phase; 0 for none. */
  oldestSeconds: Record<(typeof UNFINISHED_PHASES)[number], number>;
}

/** Counts cached requests by phase and finds the oldest unfinished one of each phase. */
export function requestState(requests: Iterable<ResumeRequest>, now: Date): RequestState {
  const byPhase = Object.fromEntries(REQUEST_PHASES.map((phase) => [phase, 0])) as RequestState['byPhase'];
  const oldest = Object.fromEntries(UNFINISHED_PHASES.map((phase) => [phase, Infinity])) as Record<
    (typeof UNFINISHED_PHASES)[number],
    number
  >;
  for (const request of requests) {
    const phase = request.status?.phase ?? 'Pending';
    byPhase[phase] += 1;
    if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Ignored') continue;
    const created = Date.parse(request.metadata.creationTimestamp ?? '');
    if (Number.isFinite(created)) oldest[phase] = Math.min(oldest[phase], created);
  }
  const oldestSeconds = Object.fromEntries(
    UNFINISHED_PHASES.map((phase) => [
      phase,
      oldest[phase] === Infinity ? 0 : Math.max(0, (now.getTime() - oldest[phase]) / 1000),
    ]),
  ) as RequestState['oldestSeconds'];
  return { byPhase, oldestSeconds };
}

export function recordRequestState(metrics: Metrics, state: RequestState): void {
  for (const phase of REQUEST_PHASES) metrics.requests.set({ phase }, state.byPhase[phase]);
  for (const phase of UNFINISHED_PHASES)
    metrics.oldestRequestAgeSeconds.set({ phase }, state.oldestSeconds[phase]);
}

/**
 * Creates, at 0, every labelled counter series an alert reads, so that a new leader's first
 * failure is an increase from 0 that increase() and rate() see, not a series that appears at 1.
 * Counters already counting keep their values.
 */
export function initialiseAlertSeries(metrics: Metrics): void {
  for (const reason of ALL_REASONS) metrics.requestsTotal.inc({ phase: 'Failed', reason }, 0);
  for (const kind of ERROR_KINDS) metrics.reconcileErrorsTotal.inc({ kind }, 0);
  for (const result of ATTEMPT_RESULTS) metrics.attemptsTotal.inc({ result }, 0);
  for (const reason of [...Object.values(SkipReason), 'Unreadable'])
    metrics.objectsSkippedTotal.inc({ kind: 'Workflow', reason }, 0);
  metrics.objectsSkippedTotal.inc({ kind: 'ResumeRequest', reason: 'Unreadable' }, 0);
}
