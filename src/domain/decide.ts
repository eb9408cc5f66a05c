// The decision: given a resolved request and the workflows that might be its target, what to do
// now — resume one node, wait (until a deadline), or settle the request. Pure and deterministic:
// the same input always gives the same decision, so a reconcile can run again at any time.
import type { ResumeRequest } from '../api/resume-request.js';
import type { Workflow } from '../api/workflow.js';
import type { DomainConfig } from './config.js';
import type { ResolvedRequest } from './correlate.js';
import { matchesLabelSelector } from './label-selector.js';
import { workflowRequirements } from './correlate.js';
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
const nameOf = (rated: Rated) => rated.workflow.metadata.name;

/** Newest first by creation time; the name breaks ties so the order never depends on input order. */
function newestFirst(a: Rated, b: Rated): number {
  const created = (rated: Rated) => Date.parse(rated.workflow.metadata.creationTimestamp ?? '') || 0;
  return created(b) - created(a) || nameOf(a).localeCompare(nameOf(b));
}

/** Workflows in the repository form `owner.name`, or just `name`; GitHub names ignore case. */
function repositoryMatches(label: string | undefined, repository: string | undefined): boolean {
  if (label === undefined || repository === undefined) return true;
  const [owner, name] = repository.toLowerCase().split('/') as [string, string];
  const value = label.toLowerCase();
  return value === `${owner}.${name}` || value === name;
}

/** Only workflows this request may touch, whatever list it is given. */
export function candidateWorkflows(input: DecideInput): Workflow[] {
  const { request, resolved, config } = input;
  const requirements = workflowRequirements(resolved, config);
  return input.workflows.filter(
    (workflow) =>
      workflow.metadata.namespace === request.metadata.namespace &&
      !workflow.metadata.deletionTimestamp &&
      (resolved.workflowName === undefined || workflow.metadata.name === resolved.workflowName) &&
      matchesLabelSelector(requirements, workflow.metadata.labels) &&
      repositoryMatches(workflow.metadata.labels?.[config.labels.repository], resolved.repository),
  );
}

export function requestDeadline(request: ResumeRequest, now: Date, config: DomainConfig): Date {
  const created = Date.parse(request.metadata.creationTimestamp ?? '');
  return new Date((Number.isFinite(created) ? created : now.getTime()) + config.waitTimeoutSeconds * 1000);
}

function describe(resolved: ResolvedRequest): string {
  return resolved.taskId === undefined
    ? `workflow ${resolved.workflowName}`
    : `task ${resolved.taskId}${resolved.workflowName === undefined ? '' : ` (workflow ${resolved.workflowName})`}`;
}

function waitOrFail(input: DecideInput, reason: Reason, message: string, rated: readonly Rated[]): Decision {
  const deadline = requestDeadline(input.request, input.now, input.config);
  const candidates = rated.map(nameOf);
  const workflowName = candidates.length === 1 ? candidates[0] : undefined;
  const where = { ...(workflowName ? { workflowName } : {}), ...(candidates.length ? { candidates } : {}) };
  if (input.now.getTime() >= deadline.getTime()) {
    const waited = `gave up after ${input.config.waitTimeoutSeconds}s: ${message}`;
    return { action: 'complete', phase: 'Failed', reason, message: waited, ...where };
  }
  return { action: 'wait', reason, message, deadline, ...where };
}

function settle(
  phase: 'Succeeded' | 'Ignored' | 'Failed',
  reason: Reason,
  message: string,
  rated?: Rated,
): Decision {
  return { action: 'complete', phase, reason, message, ...(rated ? { workflowName: nameOf(rated) } : {}) };
}

function resume(input: DecideInput, ready: Rated[], markerKey: string, markerValue: string): Decision {
  const { request, resolved, config } = input;
  const [chosen, ...older] = ready as [Rated, ...Rated[]];
  const candidates = ready.map(nameOf);
  if (older.length > 0 && config.duplicatePolicy === 'fail') {
    return {
      action: 'complete',
      phase: 'Failed',
      reason: Reason.MultipleCandidates,
      message: `${ready.length} workflows of ${describe(resolved)} wait at ${resolved.stage}: ${candidates.join(', ')}; set spec.workflowName to pick one`,
      candidates,
    };
  }
  const validationErrors = evaluateRules(
    resolved.spec.validationRules,
    { workflow: chosen.workflow },
    'workflow',
  );
  if (validationErrors.length > 0) {
    return {
      action: 'complete',
      phase: 'Failed',
      reason: Reason.ValidationFailed,
      message: `workflow ${nameOf(chosen)} fails ${validationErrors.length} validation rule(s); nothing was resumed`,
      workflowName: nameOf(chosen),
      candidates,
      validationErrors,
    };
  }
  const node = (chosen.state as Extract<WorkflowState, { kind: 'ready' }>).node;
  const nodeName = node.displayName ?? node.name;
  const duplicates = older.length > 0 ? `; newer than ${older.map(nameOf).join(', ')}` : '';
  return {
    action: 'resume',
    workflowName: nameOf(chosen),
    nodeId: node.id,
    nodeName,
    stage: resolved.stage,
    candidates,
    message: `resuming ${nodeName} of workflow ${nameOf(chosen)} for ${resolved.eventType}${duplicates}`,
    ...(config.stopOlderDuplicates && older.length > 0 ? { stopWorkflows: older.map(nameOf) } : {}),
    parameters: { ...resolved.spec.resumeParameters },
    markerKey,
    markerValue,
    nodeMessage: `Resumed by ResumeRequest ${request.metadata.namespace}/${request.metadata.name} (${resolved.eventType})`,
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
    return {
      action: 'complete',
      phase: 'Failed',
      reason: Reason.ValidationFailed,
      message: `the request fails ${requestErrors.length} validation rule(s); nothing was resumed`,
      validationErrors: requestErrors,
    };
  }

  const markerKey = markerKeyFor(resolved.stage, config.markerAnnotationPrefix);
  const markerValue = `${request.metadata.namespace}/${request.metadata.name}`;
  const rated: Rated[] = candidateWorkflows(input)
    .map((workflow) => ({
      workflow,
      state: workflowState(workflow, { resolved, config, markerKey, markerValue }),
    }))
    .sort(newestFirst);
  const having = (kind: WorkflowState['kind']) => rated.filter((r) => r.state.kind === kind);
  const first = (kind: WorkflowState['kind']) => having(kind)[0];

  const mine = first('resumedByThis');
  if (mine) {
    const node = (mine.state as Extract<WorkflowState, { kind: 'resumedByThis' }>).node;
    return {
      ...settle(
        'Succeeded',
        Reason.ResumedByThisRequest,
        `workflow ${nameOf(mine)} records that this request resumed ${resolved.stage}`,
        mine,
      ),
      ...(node ? { resumedNode: node.displayName ?? node.name } : {}),
    };
  }
  const ready = having('ready');
  if (ready.length > 0) return resume(input, ready, markerKey, markerValue);

  const pending = rated.filter((r) => ['early', 'mismatch', 'noMatchingNode'].includes(r.state.kind));
  const newestPending = pending[0];
  if (newestPending) {
    const state = newestPending.state;
    const name = nameOf(newestPending);
    if (state.kind === 'mismatch') {
      return waitOrFail(
        input,
        Reason.StageMismatch,
        `workflow ${name} has ${state.node.displayName ?? state.node.name} waiting but is labelled ${config.labels.currentStage}=${state.labelStage}; not resuming until they agree`,
        pending,
      );
    }
    if (state.kind === 'noMatchingNode') {
      return waitOrFail(
        input,
        Reason.NoMatchingNode,
        `workflow ${name} is at ${resolved.stage} but no waiting suspend node matches spec.nodeFieldSelector`,
        pending,
      );
    }
    const detail = state.kind === 'early' ? state.detail : '';
    return waitOrFail(
      input,
      Reason.StageNotReached,
      `workflow ${name} has not reached ${resolved.stage}: ${detail}`,
      pending,
    );
  }

  const unreadable = first('unreadable');
  if (unreadable?.state.kind === 'unreadable')
    return settle('Failed', unreadable.state.reason, unreadable.state.message, unreadable);
  const passed = first('passed');
  if (passed?.state.kind === 'passed') {
    return {
      ...settle(
        'Ignored',
        Reason.AlreadyResumed,
        `workflow ${nameOf(passed)} is past ${resolved.stage}: ${passed.state.detail}`,
        passed,
      ),
      ...(passed.state.node ? { resumedNode: passed.state.node.displayName ?? passed.state.node.name } : {}),
    };
  }
  const predates = first('predates');
  if (predates?.state.kind === 'predates') {
    return settle(
      'Ignored',
      Reason.EventPredatesWorkflow,
      `the event (${predates.state.occurred}) is older than workflow ${nameOf(predates)} (${predates.state.created}); it belongs to an earlier run`,
      predates,
    );
  }
  const stopping = first('shuttingDown');
  if (stopping?.state.kind === 'shuttingDown') {
    return settle(
      'Ignored',
      Reason.WorkflowShuttingDown,
      `workflow ${nameOf(stopping)} is being shut down (${stopping.state.strategy})`,
      stopping,
    );
  }
  const completed = first('completed');
  if (completed?.state.kind === 'completed') {
    return settle(
      'Ignored',
      Reason.WorkflowCompleted,
      `workflow ${nameOf(completed)} has already completed (${completed.state.phase})`,
      completed,
    );
  }
  return waitOrFail(
    input,
    Reason.WorkflowNotFound,
    `no ${config.workflowType} workflow of ${describe(resolved)} in namespace ${request.metadata.namespace} yet`,
    [],
  );
}
