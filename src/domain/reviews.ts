// Reviews as GitHub counts them: each account's latest review of a pull request decides. An
// approval counts until the same account requests changes or has the review dismissed, and an
// approval that arrives after a later change request (GitHub does not keep deliveries in order)
// never counts. Reviewers are accounts (review.user.id), not logins: a rename does not make a
// second reviewer, and two approvals of one account count once. A request without the account
// id (made by a Sensor of an earlier version) is taken as the account of its login.
//
// A review is read once from its ResumeRequest (when the controller first sees it) into a small
// record that the approval gate's index keeps per namespace, task and stage, so a count reads
// those records and never resolves other requests.
import type { ResumeRequest } from '../api/resume-request.js';
import type { DomainConfig } from './config.js';
import type { ResolvedRequest } from './correlate.js';
import { pullRequestOf, samePullRequest, type PullRequestRef } from './pull-request.js';
import { forkRefusal, reviewerLogin, untrustedApproval } from './trust-policy.js';

export type Verdict = 'approve' | 'retract';

export interface Review {
  /** `namespace/name` of the ResumeRequest that carries it. */
  request: string;
  /** Who reviewed: `id:<account id>`, or `login:<login>` when the request does not carry the id. */
  account: string;
  accountId?: number;
  /** The reviewer's login. */
  login: string;
  verdict: Verdict;
  reviewId?: number;
  /** When GitHub says the review was submitted. */
  occurredAt?: string;
  /** The repository the event is from (spec.repository), and its pull request when it names one. */
  repository?: string;
  pullRequest?: PullRequestRef;
  /** An approval the trust rules let count: an allowed reviewer, not a fork's pull request. */
  trusted: boolean;
}

export interface Approver {
  /** The request whose review was counted for the account: its latest approval. */
  request: string;
  account: string;
  accountId?: number;
  login: string;
}

/** The account of a reviewer: by id, or by login (ignoring case) without one. */
export const accountOf = (accountId: number | undefined, login: string) =>
  accountId === undefined ? `login:${login.toLowerCase()}` : `id:${accountId}`;

/** How a reviewer is named in messages: `alice (account 4242)`, or just `alice`. */
export const describeReviewer = ({ login, accountId }: { login: string; accountId?: number }) =>
  accountId === undefined ? login : `${login} (account ${accountId})`;

/** The review a request carries, or undefined when it carries none (or names no reviewer). */
export function reviewOf(
  request: ResumeRequest,
  resolved: ResolvedRequest,
  config: DomainConfig,
): Review | undefined {
  const github = resolved.spec.github;
  if (!github || resolved.review === undefined) return undefined;
  const login =
    reviewerLogin(github) ?? (github.reviewerId === undefined ? undefined : `account ${github.reviewerId}`);
  if (login === undefined) return undefined;
  const pullRequest = pullRequestOf(resolved.spec);
  return {
    request: `${request.metadata.namespace}/${request.metadata.name}`,
    account: accountOf(github.reviewerId, login),
    ...(github.reviewerId === undefined ? {} : { accountId: github.reviewerId }),
    login,
    verdict: resolved.review,
    ...(github.reviewId === undefined ? {} : { reviewId: github.reviewId }),
    ...(github.occurredAt === undefined ? {} : { occurredAt: github.occurredAt }),
    ...(resolved.repository === undefined ? {} : { repository: resolved.repository }),
    ...(pullRequest === undefined ? {} : { pullRequest }),
    trusted:
      resolved.review === 'approve' &&
      untrustedApproval(github, config) === undefined &&
      forkRefusal(resolved, github, config) === undefined,
  };
}

const time = (review: Review) => Date.parse(review.occurredAt ?? '') || 0;

/**
 * The order of one account's reviews: by submission time, then review id (GitHub's ids grow), a
 * dismissal after the review it dismisses (same id and time), then the request name, so that two
 * requests carrying the same review still have a latest.
 */
export function compareReviews(a: Review, b: Review): number {
  return (
    time(a) - time(b) ||
    (a.reviewId ?? 0) - (b.reviewId ?? 0) ||
    Number(a.verdict === 'retract') - Number(b.verdict === 'retract') ||
    a.request.localeCompare(b.request)
  );
}

const samePullRequestOf = (a: Review, b: Review) =>
  a.pullRequest === undefined || b.pullRequest === undefined
    ? a.pullRequest === b.pullRequest
    : samePullRequest(a.pullRequest, b.pullRequest);

/**
 * A later review of the same account on the same pull request with the other verdict, which
 * decides instead of this one. A later review with the same verdict changes nothing: both stand,
 * and either, if the other's request is deleted, still carries the account's verdict.
 */
export function supersededBy(review: Review, reviews: readonly Review[]): Review | undefined {
  let latest: Review | undefined;
  for (const other of reviews) {
    if (other.account !== review.account || other.verdict === review.verdict) continue;
    if (!samePullRequestOf(other, review) || compareReviews(other, review) <= 0) continue;
    if (!latest || compareReviews(other, latest) > 0) latest = other;
  }
  return latest;
}

/**
 * The accounts whose latest applicable review is a trusted approval, in the order they approved.
 * `applies` says which reviews belong to the workflow's run, pull request and visit.
 */
export function approversAmong(reviews: readonly Review[], applies: (review: Review) => boolean): Approver[] {
  const latest = new Map<string, Review>();
  for (const review of reviews) {
    if (!applies(review)) continue;
    const seen = latest.get(review.account);
    if (!seen || compareReviews(review, seen) > 0) latest.set(review.account, review);
  }
  return [...latest.values()]
    .filter((review) => review.verdict === 'approve' && review.trusted)
    .sort(compareReviews)
    .map(({ request, account, accountId, login }) => ({
      request,
      account,
      ...(accountId === undefined ? {} : { accountId }),
      login,
    }));
}

/** The request's own review replaces the index's copy of it, which may lag. */
export function withOwnReview(reviews: readonly Review[], own: Review | undefined): Review[] {
  if (!own) return [...reviews];
  return [...reviews.filter((review) => review.request !== own.request), own];
}
