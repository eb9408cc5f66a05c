// The resume step of a reconcile: one attempt through the circuit breakers, and what its outcome
// means for the request: settled as resumed or failed, a retry scheduled after a backoff delay
// (a requeue, so no worker sleeps), deferred while a breaker is open, or decided again when the
// workflow moved on under it.
import type { Workflow } from '../api/workflow.js';
import type { ResumeBackend } from '../backends/backend.js';
import type { Decision } from '../domain/decide.js';
import type { Metrics } from '../observability/metrics.js';
import { afterFailedAttempt } from '../resilience/attempt-policy.js';
import type { BreakerRegistry } from '../resilience/breakers.js';
import { formatDelay, type RetrySettings } from '../resilience/retry-schedule.js';
import type { EventRecorder } from '../runtime/event-recorder.js';
import { circuitOpen, retrying, type Finish } from './next-status.js';
import type { RequestReporter } from './request-reporter.js';
import type { ResumeFollowUps } from './resume-follow-ups.js';
import { decideAgain, requeueAfter, type ReconcileResult } from './result.js';
import type { Turn } from './turn.js';

export type ResumeDecision = Extract<Decision, { action: 'resume' }>;

export interface ResumeStepContext {
  retry: RetrySettings;
  halfOpenAfterMs: number;
  /** Whether each resume is also recorded as an Event on the workflow. */
  workflowEvents: boolean;
  backend: ResumeBackend;
  breakers: BreakerRegistry;
  events: Pick<EventRecorder, 'record'>;
  metrics: Metrics;
}

/** Settles the request with a final status; the reconciler's, so settling happens in one place. */
export type Settle = (turn: Turn, finish: Finish) => Promise<ReconcileResult>;

export class ResumeStep {
  constructor(
    private readonly ctx: ResumeStepContext,
    private readonly reporter: RequestReporter,
    private readonly followUps: ResumeFollowUps,
    private readonly settle: Settle,
  ) {}

  /** `decidedOn`: the copy of the workflow the decision was made on, which the write may be built from. */
  async run(turn: Turn, decision: ResumeDecision, decidedOn?: Workflow): Promise<ReconcileResult> {
    const { request, namespace, now, log } = turn;
    const next = request.status?.nextAttemptTime ? Date.parse(request.status.nextAttemptTime) : 0;
    if (next > now.getTime()) return requeueAfter(next - now.getTime());

    const attemptNumber = (request.status?.attempts ?? 0) + 1;
    let result;
    try {
      result = await this.ctx.breakers.execute(this.ctx.backend.name, namespace, decision.workflowName, () =>
        this.ctx.backend.resume({
          namespace,
          workflowName: decision.workflowName,
          ...(decision.workflowUid === undefined ? {} : { workflowUid: decision.workflowUid }),
          ...(decision.resourceVersion === undefined ? {} : { resourceVersion: decision.resourceVersion }),
          ...(decidedOn === undefined ? {} : { decidedOn }),
          nodeId: decision.nodeId,
          parameters: decision.parameters,
          markerKey: decision.markerKey,
          markerValue: decision.markerValue,
          ...(decision.annotations === undefined ? {} : { annotations: decision.annotations }),
          ...(decision.keepWorkflowSuspended ? { keepWorkflowSuspended: true } : {}),
          message: decision.nodeMessage,
          now,
        }),
      );
    } catch (error) {
      return this.afterFailure(turn, decision, error, attemptNumber);
    }
    if (result.outcome === 'stale') {
      this.ctx.metrics.attemptsTotal.inc({ result: 'conflict' });
      return decideAgain(
        result.detail ?? `node ${decision.nodeName} is no longer waiting in ${decision.workflowName}`,
      );
    }
    const workflowName = decision.workflowName;
    if (result.outcome === 'rejected') {
      this.ctx.metrics.attemptsTotal.inc({ result: 'terminal' });
      return this.settle(turn, {
        phase: 'Failed',
        reason: result.reason,
        message: result.message,
        workflowName,
        attempts: attemptNumber,
      });
    }
    this.ctx.metrics.attemptsTotal.inc({ result: 'success' });
    this.ctx.metrics.retryAttempts.observe(attemptNumber);
    log.info('resumed workflow', { workflow: workflowName, node: decision.nodeName, attempt: attemptNumber });
    const reachedAt = decidedOn?.status?.nodes?.[decision.nodeId]?.startedAt;
    await this.followUps.run(turn, workflowName, {
      nodeName: decision.nodeName,
      stopWorkflows: decision.stopWorkflows ?? [],
      ...(reachedAt ? { reachedAt } : {}),
    });
    return this.settle(turn, {
      phase: 'Succeeded',
      reason: 'Resumed',
      message: decision.message,
      workflowName,
      resumedNode: decision.nodeName,
      candidates: decision.candidates,
      resumeTime: now.toISOString(),
      attempts: attemptNumber,
    });
  }

  private async afterFailure(
    turn: Turn,
    decision: ResumeDecision,
    error: unknown,
    attemptNumber: number,
  ): Promise<ReconcileResult> {
    const { request, ids, now, log } = turn;
    const next = afterFailedAttempt(error, attemptNumber, this.ctx.retry, this.ctx.halfOpenAfterMs, now);
    this.ctx.metrics.attemptsTotal.inc({ result: next.metric });
    const workflowName = decision.workflowName;
    switch (next.action) {
      case 'deferred':
        if (request.status?.reason !== 'CircuitOpen') {
          log.warn('circuit open, attempt deferred', { workflow: workflowName });
          const open = {
            breaker: `${this.ctx.backend.name}/${request.metadata.namespace}`,
            workflowName,
            nextAttemptTime: next.nextAttemptTime,
          };
          await this.reporter.write(turn, circuitOpen(request, ids, open, now));
          await this.reporter.event(
            turn,
            'Warning',
            'CircuitOpen',
            `resume of ${workflowName} deferred: circuit breaker open`,
          );
        }
        return requeueAfter(next.delayMs);
      case 'decide-again':
        log.debug('workflow changed during resume, deciding again', {
          workflow: workflowName,
          error: next.detail,
        });
        return decideAgain(next.detail);
      case 'fail':
        return this.settle(turn, {
          phase: 'Failed',
          reason: next.reason,
          message: next.message,
          workflowName,
          attempts: attemptNumber,
        });
      case 'retry':
        log.warn('resume attempt failed, retrying', {
          workflow: workflowName,
          attempt: attemptNumber,
          retryInMs: next.delayMs,
          error: next.detail,
        });
        await this.reporter.write(
          turn,
          retrying(
            request,
            ids,
            {
              reason: 'RetryScheduled',
              message: next.message,
              workflowName,
              delayText: formatDelay(next.delayMs),
              nextAttemptTime: next.nextAttemptTime,
              lastError: next.detail,
              candidates: decision.candidates,
            },
            now,
          ),
        );
        return requeueAfter(next.delayMs);
    }
  }
}
