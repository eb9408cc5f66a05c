// reconcile(namespace/name) for one ResumeRequest: read the request and the workflows of its
// task, let the pure core decide, act at most once, write the status once, and say when to look
// again. Level-triggered: it never relies on which event woke it, so it can run any number of
// times with the same outcome; all progress lives in the request's status and in the marker
// annotation the resume writes on the workflow.
import { isBrokenCircuitError } from 'cockatiel';
import {
  KIND,
  GROUP,
  VERSION,
  isTerminalPhase,
  type ResumeRequest,
  type ResumeRequestStatus,
} from '../api/resume-request.js';
import type { Workflow } from '../api/workflow.js';
import type { DomainConfig } from '../domain/config.js';
import { resolveRequest, type ResolvedRequest } from '../domain/correlate.js';
import { decide, type Decision } from '../domain/decide.js';
import { classifyError } from '../domain/errors.js';
import type { ResumeBackend } from '../backends/backend.js';
import type { BreakerRegistry } from '../resilience/breakers.js';
import { formatDelay, retryDelayMs, type RetrySettings } from '../resilience/retry-schedule.js';
import type { Metrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import type { EventRecorder, EventType } from './event-recorder.js';
import type { StatusWriter } from './status-writer.js';
import { circuitOpen, finished, retrying, waiting, type Finish, type Resolved } from './next-status.js';
import { done, requeueAfter, type ReconcileResult } from './result.js';

export interface RequestStore {
  get(namespace: string, name: string): Promise<ResumeRequest | undefined>;
  delete(request: ResumeRequest): Promise<void>;
}

export interface WorkflowSource {
  /**
   * Play workflows of one task (or the one named workflow) in one namespace, from the cache.
   * The core narrows them further; this only has to include every possible target.
   */
  candidates(namespace: string, resolved: ResolvedRequest): Workflow[];
  /** The same, read whole from the API: for rules that look at fields the cache leaves out. */
  readWhole(namespace: string, resolved: ResolvedRequest): Promise<Workflow[]>;
}

export interface ReconcilerContext {
  domain: DomainConfig;
  retry: RetrySettings;
  halfOpenAfterMs: number;
  ttlSecondsAfterFinished: number;
  /** Upper bound on how long a waiting request sleeps before it is looked at again without a trigger. */
  maxWaitRecheckMs: number;
  requests: RequestStore;
  workflows: WorkflowSource;
  statusWriter: Pick<StatusWriter, 'write'>;
  events: Pick<EventRecorder, 'record'>;
  backend: ResumeBackend;
  breakers: BreakerRegistry;
  metrics: Metrics;
  logger: Logger;
  now: () => Date;
}

const workflowRef = (namespace: string, name: string) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  namespace,
  name,
});

export class Reconciler {
  constructor(private readonly ctx: ReconcilerContext) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const [namespace, name] = key.split('/') as [string, string];
    const request = await this.ctx.requests.get(namespace, name);
    if (!request) return done;
    const log = this.ctx.logger.child({
      request: key,
      deliveryId: request.spec.github?.deliveryId,
      task: request.status?.taskId ?? request.spec.taskId,
    });
    const now = this.ctx.now();
    if (request.status?.phase && isTerminalPhase(request.status.phase)) return this.expire(request, now);

    const resolved = resolveRequest(request, this.ctx.domain);
    if ('reason' in resolved) {
      return this.finish(
        request,
        {},
        { phase: resolved.phase, reason: resolved.reason, message: resolved.message },
        now,
        log,
      );
    }
    const readsWorkflow = request.spec.validationRules?.some((rule) => rule.field.startsWith('workflow'));
    const listed = readsWorkflow
      ? await this.ctx.workflows.readWhole(namespace, resolved)
      : this.ctx.workflows.candidates(namespace, resolved);
    const workflows = await this.hydrateOffloaded(listed);
    const decision = decide({ request, resolved, workflows, now, config: this.ctx.domain });
    const ids: Resolved = { taskId: resolved.taskId, eventType: resolved.eventType };
    log.debug('decided', {
      action: decision.action,
      workflow: 'workflowName' in decision ? decision.workflowName : undefined,
    });

    switch (decision.action) {
      case 'complete':
        return this.finish(request, ids, decision, now, log);
      case 'wait':
        return this.wait(request, ids, decision, now, log);
      case 'resume':
        return this.resume(request, ids, decision, now, log);
    }
  }

  /** Workflows whose node status Argo offloaded, read through a backend that can see it. */
  private hydrateOffloaded(workflows: Workflow[]): Promise<Workflow[]> {
    const hydrate = this.ctx.backend.hydrate?.bind(this.ctx.backend);
    if (!hydrate) return Promise.resolve(workflows);
    return Promise.all(
      workflows.map((workflow) =>
        workflow.status?.offloadNodeStatusVersion
          ? hydrate(workflow.metadata.namespace, workflow.metadata.name)
          : workflow,
      ),
    );
  }

  private async wait(
    request: ResumeRequest,
    ids: Resolved,
    decision: Extract<Decision, { action: 'wait' }>,
    now: Date,
    log: Logger,
  ): Promise<ReconcileResult> {
    const status = waiting(request, ids, decision, now);
    if (request.status?.phase !== 'Waiting' || request.status.reason !== decision.reason) {
      log.info('waiting', { reason: decision.reason, workflow: decision.workflowName });
      await this.write(request, status);
      await this.event(request, 'Normal', decision.reason, decision.message);
    } else if (
      request.status.message !== status.message ||
      request.status.observedGeneration !== status.observedGeneration
    ) {
      await this.write(request, status);
    }
    // Workflow changes wake the request through the task index; this is the safety net and the deadline.
    const untilDeadline = decision.deadline.getTime() - now.getTime();
    return requeueAfter(Math.max(0, Math.min(untilDeadline + 1, this.ctx.maxWaitRecheckMs)));
  }

  private async resume(
    request: ResumeRequest,
    ids: Resolved,
    decision: Extract<Decision, { action: 'resume' }>,
    now: Date,
    log: Logger,
  ): Promise<ReconcileResult> {
    const next = request.status?.nextAttemptTime ? Date.parse(request.status.nextAttemptTime) : 0;
    if (next > now.getTime()) return requeueAfter(next - now.getTime());

    const target = {
      namespace: request.metadata.namespace!,
      workflowName: decision.workflowName,
      nodeId: decision.nodeId,
      stage: decision.stage,
      parameters: decision.parameters,
      markerKey: decision.markerKey,
      markerValue: decision.markerValue,
      message: decision.nodeMessage,
      now,
    };
    const attemptNumber = (request.status?.attempts ?? 0) + 1;
    try {
      const result = await this.ctx.breakers.execute(
        this.ctx.backend.name,
        `${target.namespace}/${target.workflowName}`,
        () => this.ctx.backend.resume(target),
      );
      if (result.outcome === 'stale') {
        this.ctx.metrics.attemptsTotal.inc({ result: 'conflict' });
        return requeueAfter(0);
      }
      if (result.outcome === 'rejected') {
        this.ctx.metrics.attemptsTotal.inc({ result: 'terminal' });
        return this.finish(
          request,
          ids,
          {
            phase: 'Failed',
            reason: result.reason,
            message: result.message,
            workflowName: decision.workflowName,
            attempts: attemptNumber,
          },
          now,
          log,
        );
      }
      this.ctx.metrics.attemptsTotal.inc({ result: 'success' });
      const created = Date.parse(request.metadata.creationTimestamp ?? '');
      if (Number.isFinite(created))
        this.ctx.metrics.durationSeconds.observe(Math.max(0, (now.getTime() - created) / 1000));
      this.ctx.metrics.retryAttempts.observe(attemptNumber);
      log.info('resumed workflow', {
        workflow: decision.workflowName,
        node: decision.nodeName,
        attempt: attemptNumber,
      });
      await this.stopOlderDuplicates(
        target.namespace,
        decision.stopWorkflows ?? [],
        decision.workflowName,
        log,
      );
      await this.ctx.events.record(
        workflowRef(target.namespace, decision.workflowName),
        'Normal',
        'Resumed',
        `node ${decision.nodeName} resumed by ResumeRequest ${decision.markerValue}`,
      );
      return this.finish(
        request,
        ids,
        {
          phase: 'Succeeded',
          reason: 'Resumed',
          message: decision.message,
          workflowName: decision.workflowName,
          resumedNode: decision.nodeName,
          candidates: decision.candidates,
          resumeTime: now.toISOString(),
          attempts: attemptNumber,
        },
        now,
        log,
      );
    } catch (error) {
      return this.attemptFailed(request, ids, decision, error, attemptNumber, now, log);
    }
  }

  /**
   * The policy's clean-up after a resume: older workflows of the task waiting at the same stage
   * are stopped. Best effort: a failure is logged and recorded, never undoes the resume.
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

  private async attemptFailed(
    request: ResumeRequest,
    ids: Resolved,
    decision: Extract<Decision, { action: 'resume' }>,
    error: unknown,
    attemptNumber: number,
    now: Date,
    log: Logger,
  ): Promise<ReconcileResult> {
    if (isBrokenCircuitError(error)) {
      this.ctx.metrics.attemptsTotal.inc({ result: 'circuit_open' });
      const nextAttemptTime = new Date(now.getTime() + this.ctx.halfOpenAfterMs);
      if (request.status?.reason !== 'CircuitOpen') {
        log.warn('circuit open, attempt deferred', { workflow: decision.workflowName });
        await this.write(
          request,
          circuitOpen(
            request,
            ids,
            { breaker: this.ctx.backend.name, workflowName: decision.workflowName, nextAttemptTime },
            now,
          ),
        );
        await this.event(
          request,
          'Warning',
          'CircuitOpen',
          `resume of ${decision.workflowName} deferred: circuit breaker open`,
        );
      }
      return requeueAfter(this.ctx.halfOpenAfterMs);
    }
    const kind = classifyError(error);
    const detail = describeError(error);
    if (kind === 'conflict' || kind === 'not-found') {
      // The workflow changed or vanished between the read and the write: decide again on fresh state.
      this.ctx.metrics.attemptsTotal.inc({ result: 'conflict' });
      log.debug('workflow changed during resume, deciding again', {
        workflow: decision.workflowName,
        error: detail,
      });
      return requeueAfter(0);
    }
    if (kind === 'terminal') {
      this.ctx.metrics.attemptsTotal.inc({ result: 'terminal' });
      return this.finish(
        request,
        ids,
        {
          phase: 'Failed',
          reason: 'BackendError',
          message: `the resume was refused: ${detail}; check the operator's RBAC and the workflow`,
          workflowName: decision.workflowName,
          attempts: attemptNumber,
        },
        now,
        log,
      );
    }
    this.ctx.metrics.attemptsTotal.inc({ result: 'retryable' });
    if (attemptNumber >= this.ctx.retry.maxAttempts) {
      return this.finish(
        request,
        ids,
        {
          phase: 'Failed',
          reason: 'RetriesExhausted',
          message: `${attemptNumber} attempts to resume ${decision.workflowName} failed; last error: ${detail}. Create a new ResumeRequest once the cause is fixed`,
          workflowName: decision.workflowName,
          attempts: attemptNumber,
        },
        now,
        log,
      );
    }
    const delay = retryDelayMs(this.ctx.retry, attemptNumber);
    const nextAttemptTime = new Date(now.getTime() + delay);
    log.warn('resume attempt failed, retrying', {
      workflow: decision.workflowName,
      attempt: attemptNumber,
      retryInMs: delay,
      error: detail,
    });
    await this.write(
      request,
      retrying(
        request,
        ids,
        {
          reason: 'RetryScheduled',
          message: `attempt ${attemptNumber} of ${this.ctx.retry.maxAttempts} failed (${detail}); retrying at ${nextAttemptTime.toISOString()}`,
          workflowName: decision.workflowName,
          delayText: formatDelay(delay),
          nextAttemptTime,
          lastError: detail,
          candidates: decision.candidates,
        },
        now,
      ),
    );
    return requeueAfter(delay);
  }

  private async finish(
    request: ResumeRequest,
    ids: Resolved,
    finish: Finish,
    now: Date,
    log: Logger,
  ): Promise<ReconcileResult> {
    await this.write(request, finished(request, ids, finish, now));
    this.ctx.metrics.requestsTotal.inc({ phase: finish.phase, reason: finish.reason });
    log.info('finished', {
      phase: finish.phase,
      reason: finish.reason,
      workflow: finish.workflowName,
      message: finish.message,
    });
    await this.event(
      request,
      finish.phase === 'Failed' ? 'Warning' : 'Normal',
      finish.reason,
      finish.message,
    );
    return this.ttlRequeue(now);
  }

  /** Deletes a finished request once its TTL has passed; otherwise looks again when it will have. */
  private async expire(request: ResumeRequest, now: Date): Promise<ReconcileResult> {
    const ttlMs = this.ctx.ttlSecondsAfterFinished * 1000;
    if (ttlMs === 0) return done;
    const completed = Date.parse(request.status?.completionTime ?? '');
    if (!Number.isFinite(completed)) return done;
    const remaining = completed + ttlMs - now.getTime();
    if (remaining > 0) return requeueAfter(remaining);
    await this.ctx.requests.delete(request);
    return done;
  }

  private ttlRequeue(_now: Date): ReconcileResult {
    return this.ctx.ttlSecondsAfterFinished === 0
      ? done
      : requeueAfter(this.ctx.ttlSecondsAfterFinished * 1000);
  }

  private async write(request: ResumeRequest, status: ResumeRequestStatus): Promise<void> {
    await this.ctx.statusWriter.write(request, status);
  }

  private event(request: ResumeRequest, type: EventType, reason: string, message: string): Promise<void> {
    return this.ctx.events.record(
      {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: KIND,
        namespace: request.metadata.namespace!,
        name: request.metadata.name!,
        ...(request.metadata.uid ? { uid: request.metadata.uid } : {}),
      },
      type,
      reason,
      message,
    );
  }
}

/** The error as a user reads it in status: HTTP status and the API's own reason when there is one. */
export function describeError(error: unknown): string {
  const e = error as {
    code?: unknown;
    statusCode?: unknown;
    body?: unknown;
    message?: unknown;
    cause?: { code?: unknown };
  };
  const status =
    typeof e?.code === 'number' ? e.code : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  let apiMessage: string | undefined;
  if (typeof e?.body === 'string') {
    try {
      apiMessage = (JSON.parse(e.body) as { message?: string }).message;
    } catch {
      apiMessage = undefined;
    }
  } else if (e?.body && typeof e.body === 'object') {
    apiMessage = (e.body as { message?: string }).message;
  }
  const code =
    typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const parts = [
    status ? `HTTP ${status}` : undefined,
    code,
    apiMessage ?? (typeof e?.message === 'string' ? e.message : String(error)),
  ];
  return parts.filter(Boolean).join(': ').slice(0, 512);
}
