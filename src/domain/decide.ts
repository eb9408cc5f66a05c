// The decision: given a resolved request and the workflows that might be its target, what to do
// now — resume one node, wait (until a deadline), or settle the request. Pure and deterministic:
// the same input always gives the same decision, so a reconcile can run again at any time.
import type { ResumeRequest } from '../api/resume-request.js';
import { nodeTitle, type Workflow, type WorkflowNode } from '../api/workflow.js';
import { candidateWorkflows, newestFirst } from './candidates.js';
import type { DomainConfig } from './config.js';
import type { ResolvedRequest } from './correlate.js';
import { markerKeyFor } from './resume-mutation.js';
import { Reason } from './reasons.js';
import { evaluateRules } from './validation-rules.js';
import { workflowState, type WorkflowState } from './workflow-state.js';

export interface DecideInput {
  request: ResumeRequest;
  resolved: ResolvedRequest;
  workflows: readonly Workflow[];
  now: Date;
  config: DomainConfig;
}

export type Decision =
  | {
      action: 'resume';
      workflowName: string;
      nodeId: string;
      nodeName: string;
      stage: string;
      /** Every workflow waiting at the stage, newest (the one resumed) first. */
      candidates: string[];
      message: string;
      /** Older duplicates to stop, when the policy says so. */
      stopWorkflows?: string[];
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
    }
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

type Rated = { workflow: Workflow; state: WorkflowState };
type Kind = WorkflowState['kind'];
type Ready = { workflow: Workflow; node: WorkflowNode };

const nameOf = (rated: { workflow: Workflow }) => rated.workflow.metadata.name;
const WAITING: readonly Kind[] = ['early', 'mismatch', 'noMatchingNode'];
/** With nothing ready or pending, the first kind present in this order settles the request. */
const SETTLING: readonly Kind[] = ['unreadable', 'passed', 'predates', 'shuttingDown', 'completed'];

export function requestDeadline(request: ResumeRequest, now: Date, config: DomainConfig): Date {
  const created = Date.parse(request.metadata.creationTimestamp ?? '');
  return new Date((Number.isFinite(created) ? created : now.getTime()) + config.waitTimeoutSeconds * 1000);
}

function describe(resolved: ResolvedRequest): string {
  if (resolved.taskId === undefined) return `workflow ${resolved.workflowName}`;
  return `task ${resolved.taskId}${resolved.workflowName === undefined ? '' : ` (workflow ${resolved.workflowName})`}`;
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

function settleOn({ workflow, state }: Rated, stage: string): Decision {
  const name = workflow.metadata.name;
  const complete = (
    phase: 'Succeeded' | 'Ignored' | 'Failed',
    reason: Reason,
    message: string,
    node?: WorkflowNode,
  ) =>
    ({
      action: 'complete',
      phase,
      reason,
      message,
      workflowName: name,
      ...(node ? { resumedNode: nodeTitle(node) } : {}),
    }) as const;
  switch (state.kind) {
    case 'resumedByThis':
      return complete(
        'Succeeded',
        Reason.ResumedByThisRequest,
        `workflow ${name} records that this request resumed ${stage}`,
        state.node,
      );
    case 'unreadable':
      return complete('Failed', state.reason, state.message);
    case 'passed':
      return complete(
        'Ignored',
        Reason.AlreadyResumed,
        `workflow ${name} is past ${stage}: ${state.detail}`,
        state.node,
      );
    case 'predates':
      return complete(
        'Ignored',
        Reason.EventPredatesWorkflow,
        `the event (${state.occurred}) is older than workflow ${name} (${state.created}); it belongs to an earlier run`,
      );
    case 'shuttingDown':
      return complete(
        'Ignored',
        Reason.WorkflowShuttingDown,
        `workflow ${name} is being shut down (${state.strategy})`,
      );
    case 'completed':
      return complete(
        'Ignored',
        Reason.WorkflowCompleted,
        `workflow ${name} has already completed (${state.phase})`,
      );
    default:
      throw new Error(`a ${state.kind} workflow does not settle a request`);
  }
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
  const validationErrors = evaluateRules(
    resolved.spec.validationRules,
    { workflow: chosen.workflow },
    'workflow',
  );
  if (validationErrors.length > 0) {
    return failed(
      Reason.ValidationFailed,
      `workflow ${nameOf(chosen)} fails ${validationErrors.length} validation rule(s); nothing was resumed`,
      { workflowName: nameOf(chosen), candidates, validationErrors },
    );
  }
  const nodeName = nodeTitle(chosen.node);
  const duplicates = older.length > 0 ? `; newer than ${older.map(nameOf).join(', ')}` : '';
  return {
    action: 'resume',
    workflowName: nameOf(chosen),
    nodeId: chosen.node.id,
    nodeName,
    stage: resolved.stage,
    candidates,
    message: `resuming ${nodeName} of workflow ${nameOf(chosen)} for ${resolved.eventType}${duplicates}`,
    ...(config.stopOlderDuplicates && older.length > 0 ? { stopWorkflows: older.map(nameOf) } : {}),
    parameters: { ...resolved.spec.resumeParameters },
    markerKey,
    markerValue,
    nodeMessage: `Resumed by ResumeRequest ${markerValue} (${resolved.eventType})`,
  };
}

export function decide(input: DecideInput): Decision {
  const { request, resolved, config } = input;
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
  const rated: Rated[] = candidateWorkflows(request, resolved, input.workflows, config)
    .sort(newestFirst)
    .map((workflow) => ({
      workflow,
      state: workflowState(workflow, { resolved, config, markerKey, markerValue }),
    }));

  const mine = rated.find((r) => r.state.kind === 'resumedByThis');
  if (mine) return settleOn(mine, resolved.stage);
  const ready = rated.flatMap((r) =>
    r.state.kind === 'ready' ? [{ workflow: r.workflow, node: r.state.node }] : [],
  );
  if (ready.length > 0) return resume(input, ready, markerKey, markerValue);
  const pending = rated.filter((r) => WAITING.includes(r.state.kind));
  if (pending.length > 0) return waitForStage(input, pending);
  for (const kind of SETTLING) {
    const settling = rated.find((r) => r.state.kind === kind);
    if (settling) return settleOn(settling, resolved.stage);
  }
  return waitOrFail(
    input,
    Reason.WorkflowNotFound,
    `no ${config.workflowType} workflow of ${describe(resolved)} in namespace ${request.metadata.namespace} yet`,
    [],
  );
}
