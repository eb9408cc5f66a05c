// The play's own pull request. The resume of the pr-created stage records on the workflow which
// pull request the play belongs to (repository, number, base branch), in the annotation
// `<prefix>pull-request`; from then on a GitHub event counts for the play only when it is about
// that pull request, so a side pull request that merely names the task (a fork's branch called
// task-42-…, another branch of the repository) advances nothing. A workflow may also be created
// with the annotation, naming its pull request from the start.
import type { ResumeRequestSpec } from '../api/resume-request.js';
import type { Workflow } from '../api/workflow.js';
import { PULL_REQUEST_MARKER, type DomainConfig } from './config.js';
import type { ResolvedRequest } from './correlate.js';
import type { Outcome } from './outcome.js';
import { Reason } from './reasons.js';

export interface PullRequestRef {
  /** `owner/name`, as GitHub spells it (compared ignoring case). */
  repository: string;
  number: number;
  /** The base branch, when known. */
  base?: string;
}

/** Longest annotation value read: a pull request reference is a few hundred bytes at most. */
const MAX_ANNOTATION_BYTES = 1024;

export const pullRequestKey = (config: DomainConfig) =>
  `${config.markerAnnotationPrefix}${PULL_REQUEST_MARKER}`;

/** The pull request a request's facts name, when they name one. */
export function pullRequestOf(spec: ResumeRequestSpec): PullRequestRef | undefined {
  if (spec.repository === undefined || spec.prNumber === undefined) return undefined;
  const base = spec.github?.baseRef;
  return { repository: spec.repository, number: spec.prNumber, ...(base === undefined ? {} : { base }) };
}

export function describePullRequest(ref: PullRequestRef): string {
  return `${ref.repository}#${ref.number}${ref.base === undefined ? '' : ` (base ${ref.base})`}`;
}

/** The annotation value: a small JSON object, so that a reader and `jq` can take it apart. */
export function pullRequestAnnotation(ref: PullRequestRef): string {
  return JSON.stringify({
    repository: ref.repository,
    number: ref.number,
    ...(ref.base === undefined ? {} : { base: ref.base }),
  });
}

/** The pull request the workflow records: undefined when none, `unreadable` when the value is not one. */
export function recordedPullRequest(
  workflow: Workflow,
  config: DomainConfig,
): PullRequestRef | 'unreadable' | undefined {
  const value = workflow.metadata.annotations?.[pullRequestKey(config)];
  if (value === undefined) return undefined;
  if (value.length > MAX_ANNOTATION_BYTES) return 'unreadable';
  try {
    const parsed = JSON.parse(value) as Partial<PullRequestRef> | null;
    const { repository, number, base } = parsed ?? {};
    if (typeof repository !== 'string' || typeof number !== 'number' || !Number.isInteger(number))
      return 'unreadable';
    if (base !== undefined && typeof base !== 'string') return 'unreadable';
    return { repository, number, ...(base === undefined ? {} : { base }) };
  } catch {
    return 'unreadable';
  }
}

/** Same repository (ignoring case) and number; the base branch too when both name one. */
export function samePullRequest(a: PullRequestRef, b: PullRequestRef): boolean {
  return (
    a.repository.toLowerCase() === b.repository.toLowerCase() &&
    a.number === b.number &&
    (a.base === undefined || b.base === undefined || a.base === b.base)
  );
}

/**
 * Whether the workflow's recorded pull request lets this GitHub event through: undefined when
 * it does (or the workflow records none, or the request is an explicit resume), else the refusal.
 */
export function pullRequestRefusal(
  workflow: Workflow,
  resolved: ResolvedRequest,
  config: DomainConfig,
): Outcome | undefined {
  if (!resolved.spec.github) return undefined;
  const recorded = recordedPullRequest(workflow, config);
  if (recorded === undefined) return undefined;
  const name = workflow.metadata.name;
  const key = pullRequestKey(config);
  const event = pullRequestOf(resolved.spec);
  if (recorded !== 'unreadable' && event !== undefined && samePullRequest(recorded, event)) return undefined;
  const plays =
    recorded === 'unreadable'
      ? `workflow ${name}'s annotation ${key} is not a pull request reference ({"repository":"owner/name","number":N,"base":"branch"})`
      : `workflow ${name} is the play of pull request ${describePullRequest(recorded)} (annotation ${key})`;
  const names =
    event === undefined
      ? 'the event names no pull request (spec.repository and spec.prNumber)'
      : `the event is about ${describePullRequest(event)}`;
  return {
    phase: 'Ignored',
    reason: Reason.OtherPullRequest,
    message: `${names}, but ${plays}; only events of the play's own pull request advance it`,
  };
}
