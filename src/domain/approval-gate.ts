// N-approval gates: a workflow annotated (or labelled) with the required-approvals key waits at
// the pr-approved stage until that many distinct allowed reviewers have approved. The count lives
// in the API, not in memory: each approval is a ResumeRequest that waits (ApprovalsPending) until
// the gate opens, so a restart loses nothing, and reviewers are counted by login, so approving
// twice counts once. The request of the Nth distinct reviewer resumes the stage.
import { isTerminalPhase, type ResumeRequest } from '../api/resume-request.js';
import type { Workflow } from '../api/workflow.js';
import { MAX_REQUIRED_APPROVALS, type DomainConfig } from './config.js';
import { resolveRequest, type ResolvedRequest } from './correlate.js';
import { isOutcome } from './outcome.js';
import { repositoryRefusal, untrustedApproval } from './trust-policy.js';

export type Gate = { required: number } | { invalid: string };

/** How many approvals the workflow asks for: 1 unless its annotation or label says more. */
export function approvalGate(workflow: Workflow, config: DomainConfig): Gate {
  const key = config.requiredApprovalsKey;
  const value = workflow.metadata.annotations?.[key] ?? workflow.metadata.labels?.[key];
  if (value === undefined) return { required: 1 };
  const required = /^[0-9]{1,3}$/.test(value) ? Number(value) : NaN;
  if (required >= 1 && required <= MAX_REQUIRED_APPROVALS) return { required };
  return {
    invalid: `workflow ${workflow.metadata.name} has ${key}=${JSON.stringify(value.slice(0, 64))}, which must be a whole number from 1 to ${MAX_REQUIRED_APPROVALS}`,
  };
}

const isBefore = (a: string | undefined, b: string | undefined) =>
  a !== undefined && b !== undefined && Date.parse(a) < Date.parse(b);

/**
 * The login whose approval this request carries for this workflow's run, or undefined when it
 * carries none that counts: another task, stage, repository or run, an untrusted reviewer, or a
 * request already refused.
 */
function approverFor(
  request: ResumeRequest,
  workflow: Workflow,
  stage: string,
  config: DomainConfig,
): string | undefined {
  const phase = request.status?.phase;
  if (phase !== undefined && isTerminalPhase(phase) && phase !== 'Succeeded') return undefined;
  if (request.metadata.namespace !== workflow.metadata.namespace) return undefined;
  const resolved = resolveRequest(request, config);
  if (isOutcome(resolved) || resolved.stage !== stage) return undefined;
  return approverOf(resolved, workflow, config);
}

function approverOf(resolved: ResolvedRequest, workflow: Workflow, config: DomainConfig): string | undefined {
  const github = resolved.spec.github;
  if (!github?.sender || untrustedApproval(github, config) !== undefined) return undefined;
  const taskId = workflow.metadata.labels?.[config.labels.taskId];
  if (resolved.taskId !== taskId) return undefined;
  if (resolved.workflowName !== undefined && resolved.workflowName !== workflow.metadata.name)
    return undefined;
  if (repositoryRefusal(workflow, resolved, config)) return undefined;
  // An approval given before this run began belongs to an earlier one.
  if (isBefore(github.occurredAt, workflow.metadata.creationTimestamp)) return undefined;
  return github.sender;
}

export interface ApprovalCount {
  required: number;
  /** Distinct reviewers (first spelling seen, sorted), this request's own included. */
  approvers: string[];
}

/**
 * Counts the distinct allowed reviewers approving this workflow's run: the request being decided
 * (which has passed the trust checks) and the other unsettled requests of its task.
 */
export function countApprovals(
  resolved: ResolvedRequest,
  workflow: Workflow,
  others: readonly ResumeRequest[],
  required: number,
  config: DomainConfig,
): ApprovalCount {
  const byLogin = new Map<string, string>();
  const add = (login: string | undefined) => {
    if (login !== undefined && !byLogin.has(login.toLowerCase())) byLogin.set(login.toLowerCase(), login);
  };
  add(approverOf(resolved, workflow, config));
  for (const other of others) add(approverFor(other, workflow, resolved.stage, config));
  return { required, approvers: [...byLogin.values()].sort() };
}
