// How far a GitHub event is trusted: an approval counts only from an allowed reviewer, an event
// advances a play only when its pull request's head branch lives in the repository itself, and a
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

/** The reviewer's login: the review's author, or for an older Sensor the sender. */
export const reviewerLogin = (github: GithubFacts) => github.reviewer ?? github.sender;

/** Why this reviewer's approval does not count, or undefined when it does. */
export function untrustedApproval(github: GithubFacts, config: DomainConfig): string | undefined {
  const { approverAssociations, approverIds, approverLogins, approverPermissions } = config.trust;
  const login = reviewerLogin(github);
  const id = github.reviewerId;
  const who = `${login === undefined ? 'an unnamed reviewer' : `reviewer ${login}`}${id === undefined ? '' : ` (account ${id})`}`;
  const association = github.reviewAuthorAssociation;
  const permission = github.reviewerPermission;
  if (association !== undefined && approverAssociations.includes(association)) return undefined;
  if (id !== undefined && approverIds.includes(id)) return undefined;
  if (login !== undefined && approverLogins.some((allowed) => allowed.toLowerCase() === login.toLowerCase()))
    return undefined;
  if (permission !== undefined && approverPermissions.includes(permission)) return undefined;
  const fact =
    association === undefined
      ? 'spec.github.reviewAuthorAssociation is not given'
      : `author_association is ${association}`;
  const listed = [
    approverIds.length > 0 ? `${approverIds.length} trust.approverIds` : '',
    approverLogins.length > 0 ? `${approverLogins.length} trust.approverLogins` : '',
  ].filter(Boolean);
  const others = [
    ...(listed.length > 0 ? [`one of ${listed.join(' or ')}`] : []),
    ...(approverPermissions.length > 0
      ? [
          `trust.approverPermissions ${approverPermissions.join(', ')} (the event carries ${permission === undefined ? 'no reviewerPermission' : `reviewerPermission ${permission}`})`,
        ]
      : []),
  ];
  return (
    `approval by ${who} does not count: ${fact}; trust.approverAssociations allows ` +
    `${approverAssociations.join(', ') || 'none'}${others.map((other) => ` or ${other}`).join('')}`
  );
}

/** Why an event of a pull request from this head repository is refused, or undefined. */
export function forkRefusal(
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

/** Whether the trust rules for approvers apply: an approving review, or an event mapped to approval. */
const isApproval = (resolved: ResolvedRequest) =>
  resolved.review === 'approve' || (resolved.review === undefined && resolved.eventType === 'pr-approved');

/**
 * The trust rules that need no workflow: whether the event's pull request and author are
 * trusted for what it asks. Undefined when the request may go on to find its workflow.
 */
export function refuseUntrusted(resolved: ResolvedRequest, config: DomainConfig): Outcome | undefined {
  const github = resolved.spec.github;
  if (!github) return undefined;
  const fork = forkRefusal(resolved, github, config);
  if (fork !== undefined) return ignored(Reason.ForkPullRequest, fork);
  if (
    resolved.review === 'retract' &&
    github.reviewerId === undefined &&
    reviewerLogin(github) === undefined
  ) {
    return ignored(
      Reason.NotRelevant,
      `a review that ${github.action === 'dismissed' ? 'was dismissed' : 'requests changes'} withdraws its ` +
        'reviewer’s approval, but it names no reviewer (spec.github.reviewerId, reviewer or sender)',
    );
  }
  if (!isApproval(resolved)) return undefined;
  const refusal = untrustedApproval(github, config);
  return refusal === undefined ? undefined : ignored(Reason.UntrustedApprover, refusal);
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
