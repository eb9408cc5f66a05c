// The decision: given a resolved request and the workflows that might be its target, what to do
// now — resume one node, wait (until a deadline), or settle the request. Pure and deterministic:
// the same input always gives the same decision, so a reconcile can run again at any time.
//
// The run of a task is its newest workflow: an event is weighed against that run only, and never
// resumes an older one unless spec.workflowName names it.
import type { ResumeRequest } from '../api/resume-request.js';
import { nodeTitle, type Workflow, type WorkflowNode } from '../api/workflow.js';
import { approvalGate, countApprovals } from './approval-gate.js';
import { candidateWorkflows, newestFirst } from './candidates.js';
import type { DomainConfig } from './config.js';
import type { ResolvedRequest } from './correlate.js';
import { markerKeyFor } from './resume-mutation.js';
import type { Outcome } from './outcome.js';
import { Reason } from './reasons.js';
import { refuseUntrusted, repositoryRefusal } from './trust-policy.js';
import { evaluateRules } from './validation-rules.js';
import { describe, nameOf, settleOn, settleOnNewest, WAITING, type Rated } from './settle-run.js';
import { workflowState } from './workflow-state.js';

export interface DecideInput {
  request: ResumeRequest;
  resolved: ResolvedRequest;
  workflows: readonly Workflow[];
  now: Date;
  config: DomainConfig;
  /** The task's other unsettled requests: the approvals an N-approval gate counts. */
  others?: readonly ResumeRequest[];
  /**
   * The workflow to be resumed as read whole from the API, which `workflow.` validation rules
   * read (the workflows above are the cache's bounded copies). Without it, a request with such
   * rules is answered `read` once it has a workflow to resume.
   */
  whole?: Workflow;
}

/** How often a request waiting on node status that could not be read looks again. */
export const UNAVAILABLE_RETRY_MS = 10_000;

export type Decision =
  | {
      action: 'resume';
      workflowName: string;
      /** The identity and version the decision saw: the write is preconditioned on them. */
      workflowUid?: string;
      resourceVersion?: string;
      nodeId: string;
      nodeName: string;
      stage: string;
      /** Every workflow waiting at the stage, newest (the one resumed) first. */
      candidates: string[];
      message: string;
      /** Older duplicates to stop, when the policy says so, with the uid the decision saw. */
      stopWorkflows?: { name: string; uid?: string }[];
      /** What applyResume needs, ready to pass on. */
      parameters: Record<string, string>;
      markerKey: string;
      markerValue: string;
      nodeMessage: string;
    }
  | {
      action: 'wait';
      reason: Reason;
      message: string;
      deadline: Date;
      workflowName?: string;
      candidates?: string[];
      /** Look again after this long even if nothing changes (sooner than the usual recheck). */
      retryInMs?: number;
    }
  /** Read this workflow whole, as the decision saw it, and decide again with it as `whole`. */
  | { action: 'read'; workflowName: string; workflowUid?: string; resourceVersion?: string }
  | {
      action: 'complete';
      phase: 'Succeeded' | 'Ignored' | 'Failed';
      reason: Reason;
      message: string;
      workflowName?: string;
      resumedNode?: string;
      candidates?: string[];
      validationErrors?: string[];
    };

type Ready = { workflow: Workflow; node: WorkflowNode };

export function requestDeadline(request: ResumeRequest, now: Date, config: DomainConfig): Date {
  const created = Date.parse(request.metadata.creationTimestamp ?? '');
  return new Date((Number.isFinite(created) ? created : now.getTime()) + config.waitTimeoutSeconds * 1000);
}

type Completion = Extract<Decision, { action: 'complete' }>;

function failed(
  reason: Reason,
  message: string,
  extra: Pick<Completion, 'workflowName' | 'candidates' | 'validationErrors'> = {},
): Completion {
  return { action: 'complete', phase: 'Failed', reason, message, ...extra };
}

/** Wait until the request's deadline, or fail with the same reason once it has passed. */
function waitOrFail(
  input: DecideInput,
  reason: Reason,
  message: string,
  pending: readonly Rated[],
): Decision {
  const deadline = requestDeadline(input.request, input.now, input.config);
  const candidates = pending.map(nameOf);
  const where = {
    ...(candidates.length === 1 ? { workflowName: candidates[0]! } : {}),
    ...(candidates.length > 0 ? { candidates } : {}),
  };
  if (input.now.getTime() >= deadline.getTime()) {
    return failed(reason, `gave up after ${input.config.waitTimeoutSeconds}s: ${message}`, where);
  }
  return { action: 'wait', reason, message, deadline, ...where };
}

function waitForStage(input: DecideInput, pending: readonly Rated[]): Decision {
  const { resolved, config } = input;
  const { state } = pending[0]!;
  const name = nameOf(pending[0]!);
  switch (state.kind) {
    case 'mismatch':
      return waitOrFail(
        input,
        Reason.StageMismatch,
        `workflow ${name} has ${nodeTitle(state.node)} waiting but is labelled ` +
          `${config.labels.currentStage}=${state.labelStage}; not resuming until they agree`,
        pending,
      );
    case 'noMatchingNode':
      return waitOrFail(
        input,
        Reason.NoMatchingNode,
        `workflow ${name} is at ${resolved.stage} but no waiting suspend node matches spec.nodeFieldSelector`,
        pending,
      );
    case 'early':
      return waitOrFail(
        input,
        Reason.StageNotReached,
        `workflow ${name} has not reached ${resolved.stage}: ${state.detail}`,
        pending,
      );
    default:
      throw new Error(`a ${state.kind} workflow is not waiting for its stage`);
  }
}

/** Either what stops the resume at the gate, or the approvals that opened it (none when ungated). */
type Gated = { stop: Decision } | { approvers?: string[]; required?: number };

/** Whether the workflow's approval gate is open for this request, counting distinct reviewers. */
function throughGate(input: DecideInput, workflow: Workflow): Gated {
  const { resolved, config } = input;
  // The gate counts GitHub reviewers; a request without GitHub facts is an explicit resume.
  if (resolved.eventType !== 'pr-approved' || !resolved.spec.github) return {};
  const gate = approvalGate(workflow, config);
  const name = workflow.metadata.name;
  if ('invalid' in gate) {
    return { stop: failed(Reason.InvalidApprovalGate, gate.invalid, { workflowName: name }) };
  }
  if (gate.required === 1) return {};
  const { approvers, required } = countApprovals(
    resolved,
    workflow,
    input.others ?? [],
    gate.required,
    config,
  );
  if (approvers.length >= required) return { approvers, required };
  return {
    stop: {
      action: 'wait',
      reason: Reason.ApprovalsPending,
      message:
        `${approvers.length} of ${required} approvals for workflow ${name} at ${resolved.stage} ` +
        `(${approvers.join(', ')}); waiting for ${required - approvers.length} more distinct allowed reviewer(s)`,
      // An approval waits for the others as long as the workflow waits at the stage.
      deadline: new Date(input.now.getTime() + config.waitTimeoutSeconds * 1000),
      workflowName: name,
    },
  };
}

function resume(
  input: DecideInput,
  ready: readonly Ready[],
  markerKey: string,
  markerValue: string,
): Decision {
  const { resolved, config } = input;
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
  const gated = throughGate(input, chosen.workflow);
  if ('stop' in gated) return gated.stop;
  const approvals =
    gated.approvers === undefined
      ? ''
      : `; approved by ${gated.approvers.join(', ')} (${gated.approvers.length} of ${gated.required})`;
  const nodeName = nodeTitle(chosen.node);
  const duplicates = older.length > 0 ? `; newer than ${older.map(nameOf).join(', ')}` : '';
  return {
    action: 'resume',
    workflowName: nameOf(chosen),
    ...(uid === undefined ? {} : { workflowUid: uid }),
    ...(resourceVersion === undefined ? {} : { resourceVersion }),
    nodeId: chosen.node.id,
    nodeName,
    stage: resolved.stage,
    candidates,
    message: `resuming ${nodeName} of workflow ${nameOf(chosen)} for ${resolved.eventType}${approvals}${duplicates}`,
    ...(config.stopOlderDuplicates && older.length > 0
      ? {
          stopWorkflows: older.map(({ workflow }) => ({
            name: workflow.metadata.name,
            ...(workflow.metadata.uid === undefined ? {} : { uid: workflow.metadata.uid }),
          })),
        }
      : {}),
    parameters: { ...resolved.spec.resumeParameters },
    markerKey,
    markerValue,
    nodeMessage: `Resumed by ResumeRequest ${markerValue} (${resolved.eventType})`,
  };
}

const settled = (outcome: Outcome, workflowName?: string): Decision => ({
  action: 'complete',
  ...outcome,
  ...(workflowName === undefined ? {} : { workflowName }),
});

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

  const markerKey = markerKeyFor(resolved.stage, config.markerAnnotationPrefix);
  const markerValue = `${request.metadata.namespace}/${request.metadata.name}`;
  const scoped = candidateWorkflows(request, resolved, input.workflows, config).sort(newestFirst);
  const bound = scoped.filter((workflow) => !repositoryRefusal(workflow, resolved, config));
  if (bound.length === 0 && scoped.length > 0) {
    return settled(repositoryRefusal(scoped[0]!, resolved, config)!, scoped[0]!.metadata.name);
  }
  const rated: Rated[] = bound.map((workflow) => ({
    workflow,
    state: workflowState(workflow, { resolved, config, markerKey, markerValue }),
  }));

  const mine = rated.find((r) => r.state.kind === 'resumedByThis');
  if (mine) return settleOn(mine, resolved.stage);
  const [newest, ...older] = rated;
  if (!newest) {
    return waitOrFail(
      input,
      Reason.WorkflowNotFound,
      `no ${config.workflowType} workflow of ${describe(resolved)} in namespace ${request.metadata.namespace} yet`,
      [],
    );
  }
  if (newest.state.kind === 'ready') {
    const ready = rated.flatMap((r) =>
      r.state.kind === 'ready' ? [{ workflow: r.workflow, node: r.state.node }] : [],
    );
    return resume(input, ready, markerKey, markerValue);
  }
  if (WAITING.includes(newest.state.kind)) return waitForStage(input, [newest]);
  if (newest.state.kind === 'unreadable' && newest.state.reason === Reason.NodeStatusUnavailable) {
    const waiting = waitOrFail(input, newest.state.reason, newest.state.message, [newest]);
    return waiting.action === 'wait' ? { ...waiting, retryInMs: UNAVAILABLE_RETRY_MS } : waiting;
  }
  return settleOnNewest(input, newest, older);
}
