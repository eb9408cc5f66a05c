// The webhook payload of each planned delivery, built from GitHub's published examples by the
// test fixtures' variants, with the task's branch and pull request, and stamped with the time it
// is sent (GitHub's events carry when they happened; the operator ignores events older than the
// workflow they would resume).
import { fromFork, labeledWith, opened, reviewWithState } from '../test/fixtures/github/payloads.js';
import { withHeadRef, withLabels } from '../test/fixtures/github-requests.js';
import type { Delivery } from './histories.js';

export interface Webhook {
  event: 'pull_request' | 'pull_request_review';
  payload: {
    repository: { full_name: string; owner: { login: string } };
    pull_request: {
      number: number;
      title: string;
      created_at: string;
      updated_at: string;
      head: { ref: string };
    };
  };
}

/** The repository every task's pull request lives in, as the examples name it. */
export const REPOSITORY = opened().repository.full_name;

/** The label value workflows carry for REPOSITORY (a label value cannot hold `/`). */
export const REPOSITORY_LABEL = REPOSITORY.replace('/', '.');

const kubernetesTime = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The pull request opened from a fork by someone outside the repository. */
function fromOutsidersFork<T extends Parameters<typeof fromFork>[0]>(payload: T): T {
  const pr = fromFork(payload, 'forker').pull_request;
  pr.author_association = 'FIRST_TIME_CONTRIBUTOR';
  pr.user = { ...pr.user, login: 'forker' };
  return payload;
}

function pullRequest(stage: number, fork: boolean): Webhook {
  if (stage === 0) {
    const payload = opened();
    return { event: 'pull_request', payload: fork ? fromOutsidersFork(payload) : payload };
  }
  if (stage === 1) {
    const payload = withLabels(labeledWith('ready-for-qa'), ['ready-for-qa']);
    return { event: 'pull_request', payload: fork ? fromOutsidersFork(payload) : payload };
  }
  return { event: 'pull_request_review', payload: reviewWithState('approved') };
}

function shaped(delivery: Delivery): Webhook {
  switch (delivery.kind) {
    case 'unrelated-label':
      return { event: 'pull_request', payload: labeledWith('documentation') };
    case 'non-approving-review': {
      // A second reviewer's: a change request withdraws only its own reviewer's approval.
      const payload = reviewWithState(Number(delivery.task) % 2 === 0 ? 'commented' : 'changes_requested');
      payload.review.user = { ...payload.review.user, login: 'second-reviewer', id: 4_200_001 };
      payload.sender = { ...payload.sender, login: 'second-reviewer', id: 4_200_001 };
      return { event: 'pull_request_review', payload };
    }
    case 'untrusted-review': {
      const payload = reviewWithState('approved');
      payload.review.author_association = 'NONE';
      payload.review.user = { ...payload.review.user, login: 'drive-by', id: 4_200_002 };
      payload.sender = { ...payload.sender, login: 'drive-by', id: 4_200_002 };
      return { event: 'pull_request_review', payload };
    }
    case 'fork':
      return pullRequest(delivery.stage, true);
    case 'foreign-repository': {
      const webhook = pullRequest(delivery.stage, false);
      const repository = webhook.payload.repository;
      repository.owner = { ...repository.owner, login: 'outsider' };
      repository.full_name = `outsider/${REPOSITORY.split('/')[1]}`;
      return webhook;
    }
    default:
      return pullRequest(delivery.stage, false);
  }
}

/** The payload of a (first) delivery, sent now. */
export function webhookFor(delivery: Delivery, now: Date): Webhook {
  const webhook = shaped(delivery);
  const { payload } = webhook;
  withHeadRef(payload, `feature/task-${delivery.task}-soak`);
  const pr = payload.pull_request;
  pr.number = Number(delivery.task);
  pr.title = `Task ${delivery.task}`;
  pr.created_at = kubernetesTime(now);
  pr.updated_at = kubernetesTime(now);
  if ('review' in payload)
    (payload as { review: { submitted_at: string } }).review.submitted_at = kubernetesTime(now);
  return webhook;
}
