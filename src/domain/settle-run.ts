// How a request settles on the run of its task when nothing is to be resumed: by the state of
// the task's newest workflow, or, when an older run still waits for the event, refused as
// NotNewestRun. decide.ts calls these once it knows no resume applies.
import { nodeTitle, type Workflow, type WorkflowNode } from '../api/workflow.js';
import type { ResolvedRequest } from './correlate.js';
import type { DecideInput, Decision } from './decide.js';
import { Reason } from './reasons.js';
import { markerKeyFor } from './resume-mutation.js';
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

export function settleOn({ workflow, state }: Rated, stage: string): Decision {
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

/**
 * The stage has moved on, with this request's approval among those its gate counted: the
 * workflow is past the stage, or has completed after a request resumed it (its marker).
 */
function approvalCounted(input: DecideInput, rated: Rated): Decision | undefined {
  const { request, resolved, config } = input;
  const status = request.status;
  if (status?.reason !== Reason.ApprovalsPending || status.workflowName !== nameOf(rated)) return undefined;
  const markerKey = markerKeyFor(resolved.stage, config.markerAnnotationPrefix);
  const resumed = rated.workflow.metadata.annotations?.[markerKey] !== undefined;
  if (!(rated.state.kind === 'passed' || (rated.state.kind === 'completed' && resumed))) return undefined;
  const name = nameOf(rated);
  return {
    action: 'complete',
    phase: 'Succeeded',
    reason: Reason.ApprovalCounted,
    message: `workflow ${name} passed ${input.resolved.stage} once enough reviewers had approved, this one among them`,
    workflowName: name,
    ...(rated.state.kind === 'passed' && rated.state.node
      ? { resumedNode: nodeTitle(rated.state.node) }
      : {}),
  };
}

/** The newest run has settled the event; older runs that could take it are refused by name. */
export function settleOnNewest(input: DecideInput, newest: Rated, older: readonly Rated[]): Decision {
  const { resolved } = input;
  const olderTaking = older.filter((r) => r.state.kind === 'ready' || WAITING.includes(r.state.kind));
  if (newest.state.kind !== 'unreadable' && olderTaking.length > 0) {
    const detail =
      newest.state.kind === 'passed'
        ? `past ${resolved.stage}: ${newest.state.detail}`
        : newest.state.kind === 'predates'
          ? `created after the event`
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
  return approvalCounted(input, newest) ?? settleOn(newest, resolved.stage);
}
