// The status a ResumeRequest gets for each turn of its reconcile. Pure: given the request as
// read and what happened, it returns the whole next status; the status writer turns it into one
// merge patch. Counters (attempts, retryDelays) and first-seen times are carried over.
import type { EventType, ResumeRequest, ResumeRequestStatus } from '../api/resume-request.js';
import { withReadinessConditions } from './readiness-conditions.js';

type Condition = NonNullable<ResumeRequestStatus['conditions']>[number];

export interface Resolved {
  taskId?: string | undefined;
  eventType?: EventType | undefined;
}

function base(request: ResumeRequest, resolved: Resolved, now: Date): ResumeRequestStatus {
  const previous = request.status ?? {};
  const status: ResumeRequestStatus = {
    ...previous,
    observedGeneration: request.metadata.generation ?? previous.observedGeneration,
    startTime: previous.startTime ?? now.toISOString(),
  };
  if (resolved.taskId) status.taskId = resolved.taskId;
  if (resolved.eventType) status.eventType = resolved.eventType;
  delete status.nextAttemptTime;
  return status;
}

function withCondition(conditions: Condition[] | undefined, next: Condition): Condition[] {
  const kept = (conditions ?? []).filter((condition) => condition.type !== next.type);
  const previous = conditions?.find((condition) => condition.type === next.type);
  const lastTransitionTime =
    previous && previous.status === next.status ? previous.lastTransitionTime : next.lastTransitionTime;
  return [...kept, { ...next, lastTransitionTime }];
}

export interface Finish {
  phase: 'Succeeded' | 'Failed' | 'Ignored';
  reason: string;
  message: string;
  workflowName?: string;
  resumedNode?: string;
  candidates?: string[];
  validationErrors?: string[];
  resumeTime?: string;
  attempts?: number;
}

/** A terminal status: nothing will be done for this request again. */
export function finished(
  request: ResumeRequest,
  resolved: Resolved,
  finish: Finish,
  now: Date,
): ResumeRequestStatus {
  const status = base(request, resolved, now);
  Object.assign(status, {
    phase: finish.phase,
    reason: finish.reason,
    message: finish.message,
    completionTime: now.toISOString(),
  });
  for (const key of [
    'workflowName',
    'resumedNode',
    'candidates',
    'validationErrors',
    'resumeTime',
    'attempts',
  ] as const) {
    if (finish[key] !== undefined) (status as Record<string, unknown>)[key] = finish[key];
  }
  if (status.conditions?.some((condition) => condition.type === 'CircuitOpen')) {
    status.conditions = withCondition(status.conditions, {
      type: 'CircuitOpen',
      status: 'False',
      reason: 'CircuitClosed',
      message: 'the backend accepted writes again',
      lastTransitionTime: now.toISOString(),
    });
  }
  return withReadinessConditions(status, now);
}

export interface Waiting {
  reason: string;
  message: string;
  workflowName?: string;
  candidates?: string[];
}

export function waiting(
  request: ResumeRequest,
  resolved: Resolved,
  wait: Waiting,
  now: Date,
): ResumeRequestStatus {
  const status = base(request, resolved, now);
  Object.assign(status, { phase: 'Waiting', reason: wait.reason, message: wait.message });
  if (wait.workflowName !== undefined) status.workflowName = wait.workflowName;
  if (wait.candidates !== undefined) status.candidates = wait.candidates;
  return withReadinessConditions(status, now);
}

export interface AttemptFailed {
  reason: string;
  message: string;
  workflowName: string;
  delayText: string;
  nextAttemptTime: Date;
  lastError: string;
  candidates?: string[];
}

/** A failed attempt that will be retried: counted, its delay recorded. */
export function retrying(
  request: ResumeRequest,
  resolved: Resolved,
  failure: AttemptFailed,
  now: Date,
): ResumeRequestStatus {
  const status = base(request, resolved, now);
  Object.assign(status, {
    phase: 'Resuming',
    reason: failure.reason,
    message: failure.message,
    workflowName: failure.workflowName,
    attempts: (status.attempts ?? 0) + 1,
    retryDelays: [...(status.retryDelays ?? []), failure.delayText],
    lastError: failure.lastError,
    nextAttemptTime: failure.nextAttemptTime.toISOString(),
  });
  if (failure.candidates !== undefined) status.candidates = failure.candidates;
  return withReadinessConditions(status, now);
}

export interface CircuitOpen {
  breaker: string;
  workflowName: string;
  nextAttemptTime: Date;
}

/** The breaker refused the attempt: nothing was sent, so no attempt is counted. */
export function circuitOpen(
  request: ResumeRequest,
  resolved: Resolved,
  open: CircuitOpen,
  now: Date,
): ResumeRequestStatus {
  const status = base(request, resolved, now);
  const message = `a circuit breaker on the way to ${open.workflowName} (the backend breaker ${open.breaker} or the workflow's) is open after repeated failures; the next attempt is at ${open.nextAttemptTime.toISOString()}`;
  Object.assign(status, {
    phase: 'Resuming',
    reason: 'CircuitOpen',
    message,
    workflowName: open.workflowName,
    nextAttemptTime: open.nextAttemptTime.toISOString(),
  });
  status.conditions = withCondition(status.conditions, {
    type: 'CircuitOpen',
    status: 'True',
    reason: 'CircuitOpen',
    message,
    lastTransitionTime: now.toISOString(),
  });
  return withReadinessConditions(status, now);
}
