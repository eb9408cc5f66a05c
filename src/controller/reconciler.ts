// reconcile(namespace/name) for one ResumeRequest: read the request and the workflows of its
// task, let the pure core decide, act at most once, write the status once, and say when to look
// again. Level-triggered: it never relies on which event woke it, so it can run any number of
// times with the same outcome; all progress lives in the request's status and in the marker
// annotation the resume writes on the workflow.
import { isTerminalPhase, type ResumeRequest } from '../api/resume-request.js';
import type { Workflow } from '../api/workflow.js';
import type { DomainConfig } from '../domain/config.js';
import { resolveRequest, type ResolvedRequest } from '../domain/correlate.js';
import { decide, type Decision } from '../domain/decide.js';
import type { Logger } from '../observability/logger.js';
import { waiting, type Finish, type Resolved } from './next-status.js';
import { RequestReporter, type ReporterContext } from './request-reporter.js';
import { ResumeStep, type ResumeStepContext } from './resume-step.js';
import { done, requeueAfter, type ReconcileResult } from './result.js';

export interface RequestStore {
  get(namespace: string, name: string): Promise<ResumeRequest | undefined>;
  delete(request: ResumeRequest): Promise<void>;
  /** The request reached a final phase: workflow changes need not wake it any more. */
  settled(request: ResumeRequest): void;
  /** The task's requests that have not settled, from the cache: what an approval gate counts. */
  unsettledOfTask(namespace: string, taskId: string): ResumeRequest[];
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

export interface ReconcilerContext extends ReporterContext, ResumeStepContext {
  domain: DomainConfig;
  ttlSecondsAfterFinished: number;
  /** Upper bound on how long a waiting request sleeps before it is looked at again without a trigger. */
  maxWaitRecheckMs: number;
  requests: RequestStore;
  workflows: WorkflowSource;
  logger: Logger;
  now: () => Date;
}

export class Reconciler {
  private readonly reporter: RequestReporter;
  private readonly resumeStep: ResumeStep;

  constructor(private readonly ctx: ReconcilerContext) {
    this.reporter = new RequestReporter(ctx);
    this.resumeStep = new ResumeStep(ctx, this.reporter);
  }

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
      const outcome = { phase: resolved.phase, reason: resolved.reason, message: resolved.message };
      return this.finish(request, {}, outcome, now, log);
    }
    const readsWorkflow = request.spec.validationRules?.some((rule) => rule.field.startsWith('workflow'));
    const listed = readsWorkflow
      ? await this.ctx.workflows.readWhole(namespace, resolved)
      : this.ctx.workflows.candidates(namespace, resolved);
    const workflows = await this.hydrateOffloaded(listed);
    const others =
      resolved.taskId === undefined ? [] : this.ctx.requests.unsettledOfTask(namespace, resolved.taskId);
    const decision = decide({ request, resolved, workflows, now, config: this.ctx.domain, others });
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
      case 'resume': {
        const outcome = await this.resumeStep.run(request, ids, decision, now, log);
        return outcome.settled ? this.settled(request) : requeueAfter(outcome.requeueAfterMs);
      }
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
      await this.reporter.write(request, status);
      await this.reporter.event(request, 'Normal', decision.reason, decision.message);
    } else if (
      request.status.message !== status.message ||
      request.status.observedGeneration !== status.observedGeneration
    ) {
      await this.reporter.write(request, status);
    }
    // Workflow changes wake the request through the indexes; this is the safety net and the deadline.
    const untilDeadline = decision.deadline.getTime() - now.getTime();
    return requeueAfter(Math.max(0, Math.min(untilDeadline + 1, this.ctx.maxWaitRecheckMs)));
  }

  private async finish(
    request: ResumeRequest,
    ids: Resolved,
    finish: Finish,
    now: Date,
    log: Logger,
  ): Promise<ReconcileResult> {
    await this.reporter.finish(request, ids, finish, now, log);
    return this.settled(request);
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

  /** Comes back when the finished request's TTL has passed. */
  private settled(request: ResumeRequest): ReconcileResult {
    this.ctx.requests.settled(request);
    return this.ctx.ttlSecondsAfterFinished === 0
      ? done
      : requeueAfter(this.ctx.ttlSecondsAfterFinished * 1000);
  }
}
