// reconcile(namespace/name) for one ResumeRequest: read the request and the workflows of its
// task, let the pure core decide, act at most once, write the status once, and return what
// should happen next. Level-triggered: it never relies on which event woke it, so it can run any
// number of times with the same outcome; all progress lives in the request's status and in the
// marker annotation the resume writes on the workflow. It never reaches back into the dispatcher:
// the queue, the backoff and the wake-up indexes act on what it returns.
import { isTerminalPhase, type ResumeRequest } from '../api/resume-request.js';
import type { Workflow } from '../api/workflow.js';
import type { DomainConfig } from '../domain/config.js';
import { isOutcome } from '../domain/outcome.js';
import { resolveRequest, type ResolvedRequest } from '../domain/correlate.js';
import { decide, type Decision } from '../domain/decide.js';
import { Reason } from '../domain/reasons.js';
import type { Review } from '../domain/reviews.js';
import type { Logger } from '../observability/logger.js';
import { waiting, type Finish } from './next-status.js';
import { RequestReporter, type ReporterContext } from './request-reporter.js';
import { ResumeFollowUps } from './resume-follow-ups.js';
import { ResumeStep, type ResumeStepContext } from './resume-step.js';
import { decideAgain, done, requeueAfter, settled, type ReconcileResult } from './result.js';
import { expiresInMs, ttlSecondsOf } from './retention.js';
import type { Turn } from './turn.js';

/**
 * Turns in a row whose target moved under the write before the request settles as NoProgress.
 * With the dispatcher's backoff between them (from 200 ms, doubling, at most 30 s) that is
 * about a minute and a half: plenty for a workflow cache that lagged to catch up.
 */
export const MAX_STALLED_TURNS = 10;

export interface RequestStore {
  get(namespace: string, name: string): Promise<ResumeRequest | undefined>;
  delete(request: ResumeRequest): Promise<void>;
  /** The reviews of the task's unsettled requests at a stage, from the gate's index. */
  reviewsOf(namespace: string, taskId: string, stage: string): Review[];
}

export interface WorkflowSource {
  /**
   * Play workflows of one task (or the one named workflow) in one namespace, from the cache.
   * The core narrows them further; this only has to include every possible target.
   */
  candidates(namespace: string, resolved: ResolvedRequest): Workflow[];
  /** One workflow read whole from the API: for rules that look at fields the cache leaves out. */
  readOne(namespace: string, name: string): Promise<Workflow | undefined>;
  /** The copy with node status Argo offloaded filled in, where the backend can read it. */
  complete(workflow: Workflow): Promise<Workflow>;
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

/** What the dispatcher knows of a key when it hands it over. */
export interface TurnInput {
  key: string;
  stalledTurns: number;
}

export class Reconciler {
  private readonly reporter: RequestReporter;
  private readonly resumeStep: ResumeStep;
  private readonly followUps: ResumeFollowUps;

  constructor(private readonly ctx: ReconcilerContext) {
    this.reporter = new RequestReporter(ctx);
    this.followUps = new ResumeFollowUps(ctx);
    this.resumeStep = new ResumeStep(ctx, this.reporter, this.followUps, (turn, finish) =>
      this.finish(turn, finish),
    );
  }

  async reconcile({ key, stalledTurns }: TurnInput): Promise<ReconcileResult> {
    const [namespace, name] = key.split('/') as [string, string];
    const request = await this.ctx.requests.get(namespace, name);
    if (!request) return done;
    const turn: Turn = {
      request,
      namespace,
      now: this.ctx.now(),
      ids: {},
      stalledTurns,
      log: this.ctx.logger.child({
        request: key,
        deliveryId: request.spec.github?.deliveryId,
        task: request.status?.taskId ?? request.spec.taskId,
      }),
    };
    if (request.status?.phase && isTerminalPhase(request.status.phase)) return this.expire(turn);

    const resolved = resolveRequest(request, this.ctx.domain);
    if (isOutcome(resolved)) {
      return this.finish(turn, { phase: resolved.phase, reason: resolved.reason, message: resolved.message });
    }
    turn.ids = { taskId: resolved.taskId, eventType: resolved.eventType };
    const listed = this.ctx.workflows.candidates(namespace, resolved);
    const workflows = await Promise.all(
      listed.map((workflow) =>
        workflow.status?.offloadNodeStatusVersion ? this.ctx.workflows.complete(workflow) : workflow,
      ),
    );
    const reviews =
      resolved.review === undefined || resolved.taskId === undefined
        ? []
        : this.ctx.requests.reviewsOf(namespace, resolved.taskId, resolved.stage);
    const input = { request, resolved, workflows, now: turn.now, config: this.ctx.domain, reviews };
    let decision = decide(input);
    if (decision.action === 'read') {
      const whole = await this.readAsDecided(namespace, decision);
      if (typeof whole === 'string') return this.stalled(turn, decision.workflowName, decideAgain(whole));
      decision = decide({ ...input, whole });
    }
    turn.log.debug('decided', {
      action: decision.action,
      workflow: 'workflowName' in decision ? decision.workflowName : undefined,
    });

    switch (decision.action) {
      case 'complete':
        if (decision.followUps && decision.workflowName !== undefined)
          await this.followUps.run(turn, decision.workflowName, decision.followUps);
        return this.finish(turn, decision);
      case 'wait':
        return this.wait(turn, decision);
      case 'read':
        throw new Error(`decided to read workflow ${decision.workflowName} again after reading it`);
      case 'resume': {
        const decidedOn = workflows.find((workflow) => workflow.metadata.name === decision.workflowName);
        const result = await this.resumeStep.run(turn, decision, decidedOn);
        return this.stalled(turn, decision.workflowName, result);
      }
    }
  }

  /**
   * A turn whose target moved under it is decided again; after MAX_STALLED_TURNS of them in a
   * row the request settles as NoProgress.
   */
  private stalled(
    turn: Turn,
    workflowName: string,
    result: ReconcileResult,
  ): Promise<ReconcileResult> | ReconcileResult {
    if (result.kind !== 'decide-again' || turn.stalledTurns + 1 < MAX_STALLED_TURNS) return result;
    return this.finish(turn, {
      phase: 'Failed',
      reason: Reason.NoProgress,
      workflowName,
      message:
        `workflow ${workflowName} changed under each of ${MAX_STALLED_TURNS} resume attempts in a row ` +
        `(last: ${result.detail}); create a new ResumeRequest if it should still be resumed`,
    });
  }

  /**
   * The workflow a decision is to be completed on, read whole: the version the cache's copy
   * was, or why it is not (the cache lags, or the workflow is gone), for a decision on fresh state.
   */
  private async readAsDecided(
    namespace: string,
    wanted: Extract<Decision, { action: 'read' }>,
  ): Promise<Workflow | string> {
    const whole = await this.ctx.workflows.readOne(namespace, wanted.workflowName);
    if (!whole) return `workflow ${wanted.workflowName} is gone since the cache saw it`;
    const { uid, resourceVersion } = whole.metadata;
    if (uid !== wanted.workflowUid || resourceVersion !== wanted.resourceVersion)
      return `workflow ${wanted.workflowName} read whole is version ${resourceVersion ?? 'none'}, not the ${wanted.resourceVersion ?? 'none'} the cache saw`;
    return whole;
  }

  private async wait(turn: Turn, decision: Extract<Decision, { action: 'wait' }>): Promise<ReconcileResult> {
    const { request, now } = turn;
    const status = waiting(request, turn.ids, decision, now);
    if (request.status?.phase !== 'Waiting' || request.status.reason !== decision.reason) {
      turn.log.info('waiting', { reason: decision.reason, workflow: decision.workflowName });
      await this.reporter.write(turn, status);
      await this.reporter.event(turn, 'Normal', decision.reason, decision.message);
    } else if (
      request.status.message !== status.message ||
      request.status.observedGeneration !== status.observedGeneration
    ) {
      await this.reporter.write(turn, status);
    }
    // Workflow changes wake the request through the indexes; this is the safety net and the deadline.
    const untilDeadline = decision.deadline.getTime() - now.getTime();
    const recheck = Math.min(this.ctx.maxWaitRecheckMs, decision.retryInMs ?? Infinity);
    return requeueAfter(Math.max(0, Math.min(untilDeadline + 1, recheck)));
  }

  private async finish(turn: Turn, finish: Finish): Promise<ReconcileResult> {
    await this.reporter.finish(turn, finish);
    const ttl = ttlSecondsOf(turn.request, this.ctx.ttlSecondsAfterFinished);
    return settled(ttl === undefined ? undefined : ttl * 1000);
  }

  /** Deletes a finished request once its TTL has passed; otherwise looks again when it will have. */
  private async expire(turn: Turn): Promise<ReconcileResult> {
    const remaining = expiresInMs(turn.request, this.ctx.ttlSecondsAfterFinished, turn.now);
    if (remaining === undefined) return done;
    if (remaining > 0) return requeueAfter(remaining);
    await this.ctx.requests.delete(turn.request);
    return done;
  }
}
