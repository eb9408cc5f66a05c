// The resume step of a reconcile: one attempt through the circuit breakers, and what its outcome
// means for the request: settled as resumed or failed, a retry scheduled after a backoff delay
// (a requeue, so no worker sleeps), deferred while a breaker is open, or decided again when the
// workflow moved on under it.
import type { ResumeRequest } from '../api/resume-request.js';
import type { ResumeBackend } from '../backends/backend.js';
import type { Decision } from '../domain/decide.js';
import { describeError } from '../domain/errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { afterFailedAttempt } from '../resilience/attempt-policy.js';
import type { BreakerRegistry } from '../resilience/breakers.js';
import { formatDelay, type RetrySettings } from '../resilience/retry-schedule.js';
import type { EventRecorder } from '../runtime/event-recorder.js';
import { circuitOpen, retrying, type Resolved } from './next-status.js';
import type { RequestReporter } from './request-reporter.js';

export type ResumeDecision = Extract<Decision, { action: 'resume' }>;

export interface ResumeStepContext {
  retry: RetrySettings;
  halfOpenAfterMs: number;
  backend: ResumeBackend;
  breakers: BreakerRegistry;
  events: Pick<EventRecorder, 'record'>;
  metrics: Metrics;
}

/** What the step asks of the dispatcher: settled (the reconciler schedules the TTL) or look again. */
export type StepOutcome = { settled: true } | { settled: false; requeueAfterMs: number };

const workflowRef = (namespace: string, name: string) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  namespace,
  name,
});

export class ResumeStep {
  constructor(
    private readonly ctx: ResumeStepContext,
    private readonly reporter: RequestReporter,
  ) {}

  async run(
    request: ResumeRequest,
    ids: Resolved,
    decision: ResumeDecision,
    now: Date,
    log: Logger,
  ): Promise<StepOutcome> {
    const next = request.status?.nextAttemptTime ? Date.parse(request.status.nextAttemptTime) : 0;
    if (next > now.getTime()) return { settled: false, requeueAfterMs: next - now.getTime() };

    const namespace = request.metadata.namespace!;
    const attemptNumber = (request.status?.attempts ?? 0) + 1;
    let result;
    try {
      result = await this.ctx.breakers.execute(this.ctx.backend.name, namespace, decision.workflowName, () =>
        this.ctx.backend.resume({
          namespace,
          workflowName: decision.workflowName,
          nodeId: decision.nodeId,
          stage: decision.stage,
          parameters: decision.parameters,
          markerKey: decision.markerKey,
          markerValue: decision.markerValue,
          message: decision.nodeMessage,
          now,
        }),
      );
    } catch (error) {
      return this.failed(request, ids, decision, error, attemptNumber, now, log);
    }
    if (result.outcome === 'stale') {
      this.ctx.metrics.attemptsTotal.inc({ result: 'conflict' });
      return { settled: false, requeueAfterMs: 0 };
    }
    const workflowName = decision.workflowName;
    if (result.outcome === 'rejected') {
      this.ctx.metrics.attemptsTotal.inc({ result: 'terminal' });
      const failure = {
        phase: 'Failed',
        reason: result.reason,
        message: result.message,
        workflowName,
      } as const;
      await this.reporter.finish(request, ids, { ...failure, attempts: attemptNumber }, now, log);
      return { settled: true };
    }
    this.ctx.metrics.attemptsTotal.inc({ result: 'success' });
    const created = Date.parse(request.metadata.creationTimestamp ?? '');
    if (Number.isFinite(created)) {
      this.ctx.metrics.durationSeconds.observe(Math.max(0, (now.getTime() - created) / 1000));
    }
    this.ctx.metrics.retryAttempts.observe(attemptNumber);
    log.info('resumed workflow', { workflow: workflowName, node: decision.nodeName, attempt: attemptNumber });
    await this.stopOlderDuplicates(namespace, decision.stopWorkflows ?? [], workflowName, log);
    await this.ctx.events.record(
      workflowRef(namespace, workflowName),
      'Normal',
      'Resumed',
      `node ${decision.nodeName} resumed by ResumeRequest ${decision.markerValue}`,
    );
    await this.reporter.finish(
      request,
      ids,
      {
        phase: 'Succeeded',
        reason: 'Resumed',
        message: decision.message,
        workflowName,
        resumedNode: decision.nodeName,
        candidates: decision.candidates,
        resumeTime: now.toISOString(),
        attempts: attemptNumber,
      },
      now,
      log,
    );
    return { settled: true };
  }

  /**
   * The policy's clean-up after a resume: older workflows of the task waiting at the same stage
   * are stopped. Best effort: a failure is logged, never undoes the resume.
   */
  private async stopOlderDuplicates(
    namespace: string,
    names: string[],
    kept: string,
    log: Logger,
  ): Promise<void> {
    for (const name of names) {
      try {
        await this.ctx.backend.stop(namespace, name);
        log.info('stopped older duplicate workflow', { workflow: name, kept });
        await this.ctx.events.record(
          workflowRef(namespace, name),
          'Normal',
          'StoppedAsDuplicate',
          `stopped: ${kept} is newer and was resumed`,
        );
      } catch (error) {
        log.warn('could not stop older duplicate workflow', { workflow: name, error: describeError(error) });
      }
    }
  }

  private async failed(
    request: ResumeRequest,
    ids: Resolved,
    decision: ResumeDecision,
    error: unknown,
    attemptNumber: number,
    now: Date,
    log: Logger,
  ): Promise<StepOutcome> {
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
          await this.reporter.write(request, circuitOpen(request, ids, open, now));
          await this.reporter.event(
            request,
            'Warning',
            'CircuitOpen',
            `resume of ${workflowName} deferred: circuit breaker open`,
          );
        }
        return { settled: false, requeueAfterMs: next.delayMs };
      case 'decide-again':
        log.debug('workflow changed during resume, deciding again', {
          workflow: workflowName,
          error: next.detail,
        });
        return { settled: false, requeueAfterMs: 0 };
      case 'fail': {
        const failure = {
          phase: 'Failed',
          reason: next.reason,
          message: next.message,
          workflowName,
        } as const;
        await this.reporter.finish(request, ids, { ...failure, attempts: attemptNumber }, now, log);
        return { settled: true };
      }
      case 'retry':
        log.warn('resume attempt failed, retrying', {
          workflow: workflowName,
          attempt: attemptNumber,
          retryInMs: next.delayMs,
          error: next.detail,
        });
        await this.reporter.write(
          request,
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
        return { settled: false, requeueAfterMs: next.delayMs };
    }
  }
}
