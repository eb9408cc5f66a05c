// N-approval gates: a workflow annotated (or labelled) with the required-approvals key waits at
// the approval stage until that many distinct reviewer accounts approve its pull request. The
// count lives in the API, not in memory: each review is a ResumeRequest that waits as long as the
// play waits at or before the stage, and the controller keeps what each one says in an index per
// namespace, task and stage (reviews.ts), so a count reads small records and never resolves other
// requests. Each account's latest review decides. The request whose approval completes the count
// resumes the stage, and records on the workflow, beside its marker, which approvals it counted:
// those then settle as counted, and one the count did not include (the gate was opened by an
// explicit resume, or it came after) does not claim to have been.
import type { Workflow, WorkflowNode } from '../api/workflow.js';
import { APPROVALS_MARKER_SUFFIX, MAX_REQUIRED_APPROVALS, type DomainConfig } from './config.js';
import { recordedPullRequest, samePullRequest } from './pull-request.js';
import { markerKeyFor } from './resume-mutation.js';
import { approversAmong, type Approver, type Review } from './reviews.js';
import { repositoryLabelMatches } from './trust-policy.js';
import { isOlder } from './workflow-state.js';

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

/**
 * The approvals that count for this visit of the stage: reviews of the workflow's pull request
 * (or, before it records one, of its repository), submitted after the workflow was created and
 * after the stage's previous visit ended (`floor`), each account's latest deciding.
 */
export function approversFor(
  workflow: Workflow,
  floor: string | undefined,
  reviews: readonly Review[],
  config: DomainConfig,
): Approver[] {
  const recorded = recordedPullRequest(workflow, config);
  const label = workflow.metadata.labels?.[config.labels.repository];
  const applies = (review: Review) => {
    const pr = review.pullRequest;
    if (recorded === 'unreadable') return false;
    if (recorded !== undefined && (pr === undefined || !samePullRequest(recorded, pr))) return false;
    const repository = review.repository;
    if (label !== undefined && (repository === undefined || !repositoryLabelMatches(label, repository)))
      return false;
    return !(
      review.occurredAt !== undefined &&
      floor !== undefined &&
      isOlder(review.occurredAt, floor, config)
    );
  };
  return approversAmong(reviews, applies);
}

/** Who approved, for messages: `alice, bob`. */
export const loginsOf = (approvers: readonly { login: string }[]) =>
  approvers.map(({ login }) => login).join(', ');

/** Most approvals one record keeps: far above the largest gate, and a bound on the annotation. */
export const MAX_RECORDED_APPROVALS = 50;

/** What the resume of a gated stage records beside its marker: the node it resumed, and who counted. */
export interface ApprovalsRecord {
  node: string;
  /** The marker value of the request that opened the gate. */
  resumedBy: string;
  required: number;
  /**
   * The approvals counted: the request (a name in the workflow's namespace) whose review counted
   * for each reviewer account (by login when a request had no id).
   */
  approvers: { request: string; id?: number; login: string }[];
}

export const approvalsKey = (stage: string, config: DomainConfig) =>
  `${markerKeyFor(stage, config.markerAnnotationPrefix)}${APPROVALS_MARKER_SUFFIX}`;

export function approvalsRecord(
  node: WorkflowNode,
  resumedBy: string,
  required: number,
  approvers: readonly Approver[],
): string {
  const record: ApprovalsRecord = {
    node: node.id,
    resumedBy,
    required,
    approvers: approvers.slice(0, MAX_RECORDED_APPROVALS).map(({ request, accountId, login }) => ({
      request: request.slice(request.indexOf('/') + 1),
      ...(accountId === undefined ? {} : { id: accountId }),
      login,
    })),
  };
  return JSON.stringify(record);
}

/**
 * Longest record read: MAX_RECORDED_APPROVALS entries of a request name (253), an account id and
 * a login (64) take under 19 KiB; this leaves room.
 */
const MAX_RECORD_BYTES = 32 * 1024;

/** The record the workflow keeps for the stage, when it has a readable one. */
export function recordedApprovals(
  workflow: Workflow,
  stage: string,
  config: DomainConfig,
): ApprovalsRecord | undefined {
  const value = workflow.metadata.annotations?.[approvalsKey(stage, config)];
  if (value === undefined || value.length > MAX_RECORD_BYTES) return undefined;
  try {
    const record = JSON.parse(value) as Partial<ApprovalsRecord> | null;
    if (
      typeof record?.node !== 'string' ||
      typeof record.resumedBy !== 'string' ||
      typeof record.required !== 'number' ||
      !Array.isArray(record.approvers) ||
      !record.approvers.every(
        (entry: unknown) =>
          typeof (entry as { request?: unknown })?.request === 'string' &&
          ['number', 'undefined'].includes(typeof (entry as { id?: unknown }).id) &&
          typeof (entry as { login?: unknown }).login === 'string',
      )
    )
      return undefined;
    return record as ApprovalsRecord;
  } catch {
    return undefined;
  }
}
