// The decision: given a resolved request and the workflows that might be its target, what to do
// now — resume one node, wait (until a deadline), or settle the request. Pure and deterministic:
// the same input always gives the same decision, so a reconcile can run again at any time.
//
// The run of a task is its newest workflow: an event is weighed against that run only, and never
// resumes an older one unless spec.workflowName names it.
import { nodeTitle, type Workflow, type WorkflowNode } from '../api/workflow.js';
import { approvalGate, approvalsKey, approvalsRecord, approversFor, loginsOf } from './approval-gate.js';
import { candidateWorkflows, newestFirst } from './candidates.js';
import { readNodes } from './compressed-nodes.js';
import type { Completion, DecideInput, Decision } from './decision.js';
import type { Outcome } from './outcome.js';
import {
  describePullRequest,
  pullRequestAnnotation,
  pullRequestKey,
  pullRequestOf,
  pullRequestRefusal,
  recordedPullRequest,
} from './pull-request.js';
import { Reason } from './reasons.js';
import { markerKeyFor, markerValueFor } from './resume-mutation.js';
import { describeReviewer, reviewOf, supersededBy, withOwnReview, type Review } from './reviews.js';
import { refuseUntrusted, repositoryRefusal } from './trust-policy.js';
import { evaluateRules } from './validation-rules.js';
import { describe, nameOf, settleOnMarker, settleOnNewest, WAITING, type Rated } from './settle-run.js';
import { previousVisitEnd, stageNodes, workflowState } from './workflow-state.js';

export type { DecideInput, Decision } from './decision.js';

/** How often a request waiting on node status that could not be read looks again. */
export const UNAVAILABLE_RETRY_MS = 10_000;

type Ready = { workflow: Workflow; node: WorkflowNode };

export function requestDeadline(
  request: DecideInput['request'],
  now: Date,
  config: DecideInput['config'],
): Date {
  const created = Date.parse(request.metadata.creationTimestamp ?? '');
  return new Date((Number.isFinite(created) ? created : now.getTime()) + config.waitTimeoutSeconds * 1000);
}

function failed(
  reason: Reason,
  message: string,
  extra: Pick<Completion, 'workflowName' | 'candidates' | 'validationErrors'> = {},
): Completion {
  return { action: 'complete', phase: 'Failed', reason, message, ...extra };
}

/**
 * Wait until the request's deadline, or settle with the same reason once it has passed: Failed,
 * or Ignored for a wait on an event that may simply not be this workflow's.
 */
function waitOrSettle(
  input: DecideInput,
  reason: Reason,
  message: string,
  pending: readonly Rated[],
  { atDeadline = 'Failed', workflowName }: { atDeadline?: 'Failed' | 'Ignored'; workflowName?: string } = {},
): Decision {
  const deadline = requestDeadline(input.request, input.now, input.config);
  const candidates = pending.map(nameOf);
  const named = workflowName ?? (candidates.length === 1 ? candidates[0] : undefined);
  const where = {
    ...(named === undefined ? {} : { workflowName: named }),
    ...(candidates.length > 0 ? { candidates } : {}),
  };
  if (input.now.getTime() >= deadline.getTime()) {
    return {
      action: 'complete',
      phase: atDeadline,
      reason,
      message: `gave up after ${input.config.waitTimeoutSeconds}s: ${message}`,
      ...where,
    };
  }
  return { action: 'wait', reason, message, deadline, ...where };
}

/**
 * A review waits as long as its play waits at or before the approval stage: GitHub keeps showing
 * an approval while the play's earlier stages take their time. It is looked at again on every
 * change of the play and at the periodic recheck, and settles once the play moves past the stage,
 * completes, or the same reviewer reviews again.
 */
function waitWithThePlay(
  input: DecideInput,
  reason: Reason,
  message: string,
  workflowName: string,
): Decision {
  return {
    action: 'wait',
    reason,
    message,
    deadline: new Date(input.now.getTime() + input.config.waitTimeoutSeconds * 1000),
    workflowName,
  };
}

function waitForStage(input: DecideInput, pending: readonly Rated[]): Decision {
  const { resolved, config } = input;
  const { state } = pending[0]!;
  const name = nameOf(pending[0]!);
  switch (state.kind) {
    case 'mismatch':
      return waitOrSettle(
        input,
        Reason.StageMismatch,
        `workflow ${name} has ${nodeTitle(state.node)} waiting but is labelled ` +
          `${config.labels.currentStage}=${state.labelStage}; not resuming until they agree`,
        pending,
      );
    case 'noMatchingNode':
      return waitOrSettle(
        input,
        Reason.NoMatchingNode,
        `workflow ${name} is at ${resolved.stage} but no waiting suspend node matches spec.nodeFieldSelector`,
        pending,
      );
    case 'early': {
      const message = `workflow ${name} has not reached ${resolved.stage}: ${state.detail}`;
      if (resolved.review !== undefined)
        return waitWithThePlay(
          input,
          Reason.StageNotReached,
          `${message}; the approval waits as long as the workflow is at or before the stage`,
          name,
        );
      return waitOrSettle(input, Reason.StageNotReached, message, pending);
    }
    default:
      throw new Error(`a ${state.kind} workflow is not waiting for its stage`);
  }
}

/** A review that withdraws an approval: it waits as its reviewer's latest review, resuming nothing. */
function withdrawn(input: DecideInput, newest: Rated, own: Review | undefined): Decision {
  const github = input.resolved.spec.github!;
  const what = github.action === 'dismissed' ? 'was dismissed' : 'requests changes';
  const who = own ? describeReviewer(own) : 'its reviewer';
  return waitWithThePlay(
    input,
    Reason.ApprovalWithdrawn,
    `the latest review of ${who} ${what}: no approval of theirs counts for workflow ${nameOf(newest)} ` +
      `at ${input.resolved.stage} until they approve again; kept while the workflow is at or before the stage`,
    nameOf(newest),
  );
}

/** Either what stops the resume at the gate, or the approvals that opened it (none when ungated). */
type Gated = { stop: Decision } | { annotations?: Record<string, string>; approvals?: string };

/** The stage's previous visit, or the workflow's creation: reviews older than that are not this visit's. */
function visitFloor(ready: Ready, input: DecideInput): string | undefined {
  const nodes = readNodes(ready.workflow);
  const previous = nodes.ok
    ? previousVisitEnd(stageNodes(Object.values(nodes.nodes), input.resolved), ready.node)
    : undefined;
  return previous ?? ready.workflow.metadata.creationTimestamp;
}

/** Whether the workflow's approval gate is open for this request, counting reviewer accounts. */
function throughGate(input: DecideInput, ready: Ready, reviews: readonly Review[]): Gated {
  const { request, resolved, config } = input;
  // The gate counts GitHub reviewers; a request without GitHub facts is an explicit resume.
  if (resolved.eventType !== 'pr-approved' || !resolved.spec.github) return {};
  const { workflow } = ready;
  const gate = approvalGate(workflow, config);
  const name = workflow.metadata.name;
  if ('invalid' in gate) {
    return { stop: failed(Reason.InvalidApprovalGate, gate.invalid, { workflowName: name }) };
  }
  const approvers = approversFor(workflow, visitFloor(ready, input), reviews, config);
  const { required } = gate;
  if (approvers.length >= required) {
    const record = approvalsRecord(ready.node, markerValueFor(request), required, approvers);
    return {
      annotations: { [approvalsKey(resolved.stage, config)]: record },
      approvals:
        required === 1 ? '' : `; approved by ${loginsOf(approvers)} (${approvers.length} of ${required})`,
    };
  }
  return {
    stop: waitWithThePlay(
      input,
      Reason.ApprovalsPending,
      `${approvers.length} of ${required} approvals for workflow ${name} at ${resolved.stage} ` +
        `(${loginsOf(approvers)}); waiting for ${required - approvers.length} more reviewer account(s) to approve`,
      name,
    ),
  };
}

/** The pull request a pr-created resume records as the play's, when the workflow records none yet. */
function pullRequestToRecord(input: DecideInput, workflow: Workflow): Record<string, string> {
  const { resolved, config } = input;
  if (resolved.eventType !== 'pr-created' || recordedPullRequest(workflow, config) !== undefined) return {};
  const ref = pullRequestOf(resolved.spec);
  return ref === undefined ? {} : { [pullRequestKey(config)]: pullRequestAnnotation(ref) };
}

function resume(input: DecideInput, ready: readonly Ready[], reviews: readonly Review[]): Decision {
  const { request, resolved, config } = input;
  const [chosen, ...older] = ready as [Ready, ...Ready[]];
  const candidates = ready.map(nameOf);
  if (older.length > 0 && config.duplicatePolicy === 'fail') {
    return failed(
      Reason.MultipleCandidates,
      `${ready.length} workflows of ${describe(resolved)} wait at ${resolved.stage}: ${candidates.join(', ')}; ` +
        'set spec.workflowName to pick one',
      { candidates },
    );
  }
  const { uid, resourceVersion } = chosen.workflow.metadata;
  let validationErrors: string[] = [];
  if (resolved.spec.validationRules?.some((rule) => rule.field.startsWith('workflow'))) {
    const whole = input.whole;
    if (whole?.metadata.name !== nameOf(chosen))
      return {
        action: 'read',
        workflowName: nameOf(chosen),
        ...(uid === undefined ? {} : { workflowUid: uid }),
        ...(resourceVersion === undefined ? {} : { resourceVersion }),
      };
    validationErrors = evaluateRules(resolved.spec.validationRules, { workflow: whole }, 'workflow');
  }
  if (validationErrors.length > 0) {
    return failed(
      Reason.ValidationFailed,
      `workflow ${nameOf(chosen)} fails ${validationErrors.length} validation rule(s); nothing was resumed`,
      { workflowName: nameOf(chosen), candidates, validationErrors },
    );
  }
  const gated = throughGate(input, chosen, reviews);
  if ('stop' in gated) return gated.stop;
  const annotations = { ...pullRequestToRecord(input, chosen.workflow), ...gated.annotations };
  const recorded = annotations[pullRequestKey(config)];
  const nodeName = nodeTitle(chosen.node);
  const duplicates = older.length > 0 ? `; newer than ${older.map(nameOf).join(', ')}` : '';
  // A person's workflow-wide `argo suspend` outranks a GitHub event: the node is resumed, as
  // Argo resumes selected nodes, and the workflow stays suspended until someone resumes it.
  const keepWorkflowSuspended = resolved.spec.github !== undefined && chosen.workflow.spec?.suspend === true;
  const held = keepWorkflowSuspended
    ? '; the workflow stays suspended (spec.suspend, as argo suspend sets it) until someone resumes it'
    : '';
  const binding =
    recorded === undefined
      ? ''
      : `; recorded as its pull request: ${describePullRequest(pullRequestOf(resolved.spec)!)}`;
  const markerValue = markerValueFor(request);
  return {
    action: 'resume',
    workflowName: nameOf(chosen),
    ...(uid === undefined ? {} : { workflowUid: uid }),
    ...(resourceVersion === undefined ? {} : { resourceVersion }),
    nodeId: chosen.node.id,
    nodeName,
    stage: resolved.stage,
    candidates,
    message: `resuming ${nodeName} of workflow ${nameOf(chosen)} for ${resolved.eventType}${gated.approvals ?? ''}${duplicates}${binding}${held}`,
    ...(config.stopOlderDuplicates && older.length > 0
      ? {
          stopWorkflows: older.map(({ workflow }) => ({
            name: workflow.metadata.name,
            ...(workflow.metadata.uid === undefined ? {} : { uid: workflow.metadata.uid }),
          })),
        }
      : {}),
    parameters: { ...resolved.spec.resumeParameters },
    markerKey: markerKeyFor(resolved.stage, config.markerAnnotationPrefix),
    markerValue,
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    ...(keepWorkflowSuspended ? { keepWorkflowSuspended } : {}),
    nodeMessage: `Resumed by ResumeRequest ${request.metadata.namespace}/${request.metadata.name} (${resolved.eventType})`,
  };
}

const settled = (outcome: Outcome, workflowName?: string): Decision => ({
  action: 'complete',
  ...outcome,
  ...(workflowName === undefined ? {} : { workflowName }),
});

function superseded(own: Review, later: Review): Decision {
  const verb = later.verdict === 'approve' ? 'approved' : 'withdrew the approval';
  return settled({
    phase: 'Ignored',
    reason: Reason.ReviewSuperseded,
    message:
      `${describeReviewer(own)} ${verb} in a later review (ResumeRequest ${later.request}); ` +
      'each reviewer’s latest review decides, and that request carries it',
  });
}

export function decide(input: DecideInput): Decision {
  const { request, resolved, config } = input;
  const untrusted = refuseUntrusted(resolved, config);
  if (untrusted) return settled(untrusted);
  const requestErrors = evaluateRules(
    resolved.spec.validationRules,
    { event: resolved.spec.eventPayload, github: resolved.spec.github },
    'request',
  );
  if (requestErrors.length > 0) {
    return failed(
      Reason.ValidationFailed,
      `the request fails ${requestErrors.length} validation rule(s); nothing was resumed`,
      { validationErrors: requestErrors },
    );
  }
  const own = reviewOf(request, resolved, config);
  const reviews = withOwnReview(input.reviews ?? [], own);
  const later = own && supersededBy(own, reviews);
  if (own && later) return superseded(own, later);

  const markerKey = markerKeyFor(resolved.stage, config.markerAnnotationPrefix);
  const markerValue = markerValueFor(request);
  const scoped = candidateWorkflows(request, resolved, input.workflows, config).sort(newestFirst);
  const bound = scoped.filter((workflow) => !repositoryRefusal(workflow, resolved, config));
  if (bound.length === 0 && scoped.length > 0) {
    // A workflow of this event's repository may still be created (a task id two repositories
    // share, a workflow submitted after its event): wait for it rather than settle for good.
    const refusal = repositoryRefusal(scoped[0]!, resolved, config)!;
    return waitOrSettle(input, refusal.reason, refusal.message, [], {
      atDeadline: 'Ignored',
      workflowName: scoped[0]!.metadata.name,
    });
  }
  const rated: Rated[] = bound.map((workflow) => ({
    workflow,
    state: workflowState(workflow, { resolved, config, markerKey, markerValue }),
  }));

  const mine = rated.find((r) => r.state.kind === 'resumedByThis');
  if (mine) return settleOnMarker(input, mine, rated);
  const [newest, ...older] = rated;
  if (!newest) {
    return waitOrSettle(
      input,
      Reason.WorkflowNotFound,
      `no ${config.workflowType} workflow of ${describe(resolved)} in namespace ${request.metadata.namespace} yet`,
      [],
    );
  }
  const otherPullRequest = pullRequestRefusal(newest.workflow, resolved, config);
  if (otherPullRequest) return settled(otherPullRequest, nameOf(newest));
  const waiting = newest.state.kind === 'ready' || WAITING.includes(newest.state.kind);
  if (resolved.review === 'retract' && waiting) return withdrawn(input, newest, own);
  if (newest.state.kind === 'ready') {
    const ready = rated.flatMap((r) =>
      r.state.kind === 'ready' ? [{ workflow: r.workflow, node: r.state.node }] : [],
    );
    return resume(input, ready, reviews);
  }
  if (WAITING.includes(newest.state.kind)) return waitForStage(input, [newest]);
  if (newest.state.kind === 'unreadable' && newest.state.reason === Reason.NodeStatusUnavailable) {
    const waiting = waitOrSettle(input, newest.state.reason, newest.state.message, [newest]);
    return waiting.action === 'wait' ? { ...waiting, retryInMs: UNAVAILABLE_RETRY_MS } : waiting;
  }
  return settleOnNewest(input, newest, older);
}
