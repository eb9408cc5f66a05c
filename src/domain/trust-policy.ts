// How far a GitHub event is trusted: an approval counts only from an allowed reviewer, a pull
// request advances a play only when its head branch lives in the repository itself, and a
// workflow labelled with a repository hears only that repository's events. Each refusal is an
// Ignored outcome whose message names the rule (its configuration key) and the fact that failed.
//
// The rules apply to requests that carry GitHub facts (spec.github), whoever created them. A
// request without them is an explicit resume by someone allowed to create ResumeRequests, as
// `argo resume` would be, and is bound only by what it names.
import type { GithubFacts } from '../api/resume-request.js';
import type { Workflow } from '../api/workflow.js';
import type { DomainConfig } from './config.js';
import type { ResolvedRequest } from './correlate.js';
import type { Outcome } from './outcome.js';
import { Reason } from './reasons.js';

const ignored = (reason: Reason, message: string): Outcome => ({ phase: 'Ignored', reason, message });

const sameRepository = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Why this reviewer's approval does not count, or undefined when it does. */
export function untrustedApproval(github: GithubFacts, config: DomainConfig): string | undefined {
  const { approverAssociations, approverLogins } = config.trust;
  const association = github.reviewAuthorAssociation;
  if (association !== undefined && approverAssociations.includes(association)) return undefined;
  const login = github.sender;
  if (login !== undefined && approverLogins.some((allowed) => allowed.toLowerCase() === login.toLowerCase()))
    return undefined;
  const who = login === undefined ? 'an unnamed reviewer' : `reviewer ${login}`;
  const fact =
    association === undefined
      ? 'spec.github.reviewAuthorAssociation is not given'
      : `author_association is ${association}`;
  const logins = approverLogins.length > 0 ? ` or one of ${approverLogins.length} trust.approverLogins` : '';
  return (
    `approval by ${who} does not count: ${fact}; trust.approverAssociations allows ` +
    `${approverAssociations.join(', ') || 'none'}${logins}`
  );
}

/** Why a pull request event from this head repository is refused, or undefined. */
function forkRefusal(
  resolved: ResolvedRequest,
  github: GithubFacts,
  config: DomainConfig,
): string | undefined {
  if (config.trust.allowForkPullRequests) return undefined;
  const head = github.headRepository;
  const base = resolved.repository;
  if (head !== undefined && head !== null && base !== undefined && sameRepository(head, base))
    return undefined;
  const fact =
    head === undefined
      ? 'spec.github.headRepository is not given'
      : head === null
        ? 'its head repository no longer exists (a deleted fork)'
        : base === undefined
          ? `its head is ${head} and spec.repository is not given`
          : `its head branch is in ${head}, not ${base}`;
  return (
    `${resolved.eventType} refused: the pull request does not come from the repository itself (${fact}); ` +
    'trust.allowForkPullRequests is false'
  );
}

/**
 * The trust rules that need no workflow: whether the event's author is trusted for what it
 * asks. Undefined when the request may go on to find its workflow.
 */
export function refuseUntrusted(resolved: ResolvedRequest, config: DomainConfig): Outcome | undefined {
  const github = resolved.spec.github;
  if (!github) return undefined;
  if (resolved.eventType === 'pr-approved') {
    const refusal = untrustedApproval(github, config);
    return refusal === undefined ? undefined : ignored(Reason.UntrustedApprover, refusal);
  }
  const refusal = forkRefusal(resolved, github, config);
  return refusal === undefined ? undefined : ignored(Reason.ForkPullRequest, refusal);
}

/**
 * Workflows carry the repository as `owner.name` (a label value cannot hold `/`) or just
 * `name`; GitHub names ignore case.
 */
export function repositoryLabelMatches(label: string, repository: string): boolean {
  const [owner, name] = repository.toLowerCase().split('/') as [string, string];
  const value = label.toLowerCase();
  return value === `${owner}.${name}` || value === name;
}

/**
 * Whether the workflow's repository label lets this request through: undefined when it does,
 * else the refusal naming the label and the request's repository.
 */
export function repositoryRefusal(
  workflow: Workflow,
  resolved: ResolvedRequest,
  config: DomainConfig,
): Outcome | undefined {
  const key = config.labels.repository;
  const label = workflow.metadata.labels?.[key];
  const repository = resolved.repository;
  const isEvent = resolved.spec.github !== undefined;
  const name = workflow.metadata.name;
  if (label !== undefined) {
    if (repository !== undefined && repositoryLabelMatches(label, repository)) return undefined;
    if (repository === undefined && !isEvent) return undefined;
    const from = repository === undefined ? 'names no repository (spec.repository)' : `is from ${repository}`;
    return ignored(
      Reason.RepositoryMismatch,
      `the event ${from} but workflow ${name} is labelled ${key}=${label}; a workflow's ${key} label ` +
        'binds it to the events of that repository',
    );
  }
  if (!isEvent || !config.trust.requireRepositoryLabel) return undefined;
  return ignored(
    Reason.UnboundWorkflow,
    `workflow ${name} has no ${key} label, and trust.requireRepositoryLabel refuses GitHub events ` +
      `(this one ${repository === undefined ? 'names no repository' : `is from ${repository}`}) for such workflows`,
  );
}
