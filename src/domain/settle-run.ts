// How a request settles on the run of its task when nothing is to be resumed: by the state of
// the task's newest workflow, or, when an older run still waits for the event, refused as
// NotNewestRun. decide.ts calls these once it knows no resume applies.
import { nodeTitle, type Workflow, type WorkflowNode } from '../api/workflow.js';
import { loginsOf, recordedApprovals } from './approval-gate.js';
import { readNodes } from './compressed-nodes.js';
import type { DomainConfig } from './config.js';
import type { ResolvedRequest } from './correlate.js';
import type { Completion, DecideInput, Decision } from './decision.js';
import { Reason } from './reasons.js';
import { markedRequest, markerKeyFor } from './resume-mutation.js';
import { accountOf } from './reviews.js';
import { reviewerLogin } from './trust-policy.js';
import type { WorkflowState } from './workflow-state.js';

export type Rated = { workflow: Workflow; state: WorkflowState };
type Kind = WorkflowState['kind'];

export const nameOf = (rated: { workflow: Workflow }) => rated.workflow.metadata.name;
/** States in which a workflow may still reach the stage: the request waits for them. */
export const WAITING: readonly Kind[] = ['early', 'mismatch', 'noMatchingNode'];

export function describe(resolved: ResolvedRequest): string {
  if (resolved.taskId === undefined) return `workflow ${resolved.workflowName}`;
  return `task ${resolved.taskId}${resolved.workflowName === undefined ? '' : ` (workflow ${resolved.workflowName})`}`;
}

/** Who resumed the stage, as its marker says: ` (resumed by ResumeRequest ns/name)`, or nothing. */
function resumedBy(workflow: Workflow, stage: string, config: DomainConfig): string {
  const marker = workflow.metadata.annotations?.[markerKeyFor(stage, config.markerAnnotationPrefix)];
  return marker === undefined ? '' : ` (resumed by ResumeRequest ${markedRequest(marker)})`;
}

function complete(
  workflow: Workflow,
  phase: Completion['phase'],
  reason: Reason,
  message: string,
  node?: WorkflowNode,
): Completion {
  return {
    action: 'complete',
    phase,
    reason,
    message,
    workflowName: workflow.metadata.name,
    ...(node ? { resumedNode: nodeTitle(node) } : {}),
  };
}

export function settleOn({ workflow, state }: Rated, stage: string, config: DomainConfig): Completion {
  const name = workflow.metadata.name;
  switch (state.kind) {
    case 'unreadable':
      return complete(workflow, 'Failed', state.reason, state.message);
    case 'passed':
      return complete(
        workflow,
        'Ignored',
        Reason.AlreadyResumed,
        `workflow ${name} is past ${stage}: ${state.detail}${resumedBy(workflow, stage, config)}`,
        state.node,
      );
    case 'predates':
      return complete(
        workflow,
        'Ignored',
        Reason.EventPredatesWorkflow,
        `the event (${state.occurred}) is older than workflow ${name} (${state.created}); it belongs to an earlier run`,
      );
    case 'predatesVisit':
      return complete(
        workflow,
        'Ignored',
        Reason.EventPredatesVisit,
        `workflow ${name} waits at ${stage} again (${nodeTitle(state.node)}), but the event (${state.occurred}) ` +
          `is older than the end of the stage's previous visit (${state.previousEnd}); it belonged to that visit`,
      );
    case 'shuttingDown':
      return complete(
        workflow,
        'Ignored',
        Reason.WorkflowShuttingDown,
        `workflow ${name} is being shut down (${state.strategy})`,
      );
    case 'completed':
      return complete(
        workflow,
        'Ignored',
        Reason.WorkflowCompleted,
        `workflow ${name} has already completed (${state.phase})`,
      );
    default:
      throw new Error(`a ${state.kind} workflow does not settle a request`);
  }
}

/**
 * The workflow records that this request resumed the stage: it succeeded, and whatever was to
 * follow the resume follows now, in case the operator stopped before it did.
 */
export function settleOnMarker(input: DecideInput, mine: Rated, rated: readonly Rated[]): Completion {
  const { resolved, config } = input;
  const node = mine.state.kind === 'resumedByThis' ? mine.state.node : undefined;
  const older = rated.slice(rated.indexOf(mine) + 1).filter((r) => r.state.kind === 'ready');
  const name = nameOf(mine);
  const nodeName = node ? nodeTitle(node) : resolved.suspendNode;
  return {
    ...complete(
      mine.workflow,
      'Succeeded',
      Reason.ResumedByThisRequest,
      `workflow ${name} records that this request resumed ${resolved.stage}`,
      node,
    ),
    ...(node?.finishedAt ? { resumeTime: node.finishedAt } : {}),
    followUps: {
      nodeName,
      stopWorkflows: config.stopOlderDuplicates
        ? older.map(({ workflow }) => ({
            name: workflow.metadata.name,
            ...(workflow.metadata.uid === undefined ? {} : { uid: workflow.metadata.uid }),
          }))
        : [],
      ...(node?.finishedAt ? { resumedAt: node.finishedAt } : {}),
      ...(node?.startedAt ? { reachedAt: node.startedAt } : {}),
    },
  };
}

/**
 * An approval whose stage has moved on: counted when the request that opened the gate recorded
 * this very request among the approvals it counted for the visit the workflow passed. Another
 * approval of a counted reviewer (a redelivery, a second approval) says whose request counted;
 * any other settles as any event does (the stage was resumed by an explicit request, or before
 * it came).
 */
function approvalCounted(input: DecideInput, rated: Rated): Decision | undefined {
  const { request, resolved, config } = input;
  const github = resolved.spec.github;
  const login = github && reviewerLogin(github);
  if (resolved.review !== 'approve' || !github || login === undefined) return undefined;
  const { workflow, state } = rated;
  if (state.kind !== 'passed' && state.kind !== 'completed') return undefined;
  const record = recordedApprovals(workflow, resolved.stage, config);
  if (!record) return undefined;
  const nodes = readNodes(workflow);
  const node = nodes.ok ? nodes.nodes[record.node] : undefined;
  if (node?.phase !== 'Succeeded') return undefined;
  if (record.approvers.some((counted) => counted.request === request.metadata.name)) {
    return complete(
      workflow,
      'Succeeded',
      Reason.ApprovalCounted,
      `workflow ${nameOf(rated)} passed ${resolved.stage}: ResumeRequest ${markedRequest(record.resumedBy)} ` +
        `opened its gate with ${record.approvers.length} of ${record.required} approvals (${loginsOf(record.approvers)}), this one among them`,
      node,
    );
  }
  const account = accountOf(github.reviewerId, login);
  const counted = record.approvers.find(({ id, login: other }) => accountOf(id, other) === account);
  if (!counted) return undefined;
  const settled = settleOn(rated, resolved.stage, config);
  return {
    ...settled,
    message: `${settled.message}; ${login}'s approval was counted through ResumeRequest ${request.metadata.namespace}/${counted.request}`,
  };
}

/** The newest run has settled the event; older runs that could take it are refused by name. */
export function settleOnNewest(input: DecideInput, newest: Rated, older: readonly Rated[]): Decision {
  const { resolved, config } = input;
  const olderTaking = older.filter((r) => r.state.kind === 'ready' || WAITING.includes(r.state.kind));
  if (newest.state.kind !== 'unreadable' && olderTaking.length > 0) {
    const detail =
      newest.state.kind === 'passed'
        ? `past ${resolved.stage}: ${newest.state.detail}`
        : newest.state.kind === 'predates'
          ? `created after the event`
          : newest.state.kind === 'predatesVisit'
            ? `at ${resolved.stage} again, after the event`
            : newest.state.kind === 'completed'
              ? `completed (${newest.state.phase})`
              : newest.state.kind;
    return {
      action: 'complete',
      phase: 'Ignored',
      reason: Reason.NotNewestRun,
      message:
        `the run of ${describe(resolved)} is its newest workflow ${nameOf(newest)} (${detail}); ` +
        `${olderTaking.map(nameOf).join(', ')} ${olderTaking.length === 1 ? 'is an older run' : 'are older runs'}, ` +
        'which an event never resumes unless spec.workflowName names it',
      workflowName: nameOf(newest),
      candidates: [nameOf(newest), ...olderTaking.map(nameOf)],
    };
  }
  return approvalCounted(input, newest) ?? settleOn(newest, resolved.stage, config);
}
