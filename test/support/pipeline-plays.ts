// Play workflows driven through the plane's Argo Events pipeline: a task of its own per play
// (its id and repository random, so plays of earlier test files in the pipeline's namespace never
// answer), the three GitHub deliveries that advance it, and what became of each delivery.
import { randomInt } from 'node:crypto';
import type { ResumeRequest } from '../../src/api/resume-request.js';
import { inRepository, labeledWith, opened, reviewWithState } from '../fixtures/github/payloads.js';
import { withHeadRef, withLabels } from '../fixtures/github-requests.js';
import { deliver, type DeliveryAnswer, type DeliveryOptions } from './github-webhook.js';
import { kubectlOk, pipeline, waitFor } from './plane.js';
import { createWorkflow, playWorkflow } from './workflows.js';

export type Stage = 'opened' | 'ready' | 'approved';

export const SUSPEND_NODE: Record<Stage, string> = {
  opened: 'wait-pr-created',
  ready: 'wait-ready-for-qa',
  approved: 'wait-pr-approved',
};

const stamp = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface Play {
  name: string;
  task: string;
  repository: string;
  /** The head branch of the play's pull request, which names the task. */
  branch: string;
  namespace: string;
  /** Sends the delivery of `stage` now, as GitHub would, with fresh timestamps. */
  send(stage: Stage, options?: DeliveryOptions): Promise<DeliveryAnswer>;
}

/** Creates a play workflow in the pipeline's namespace for a task and repository of its own. */
export async function startPlay(prefix: string): Promise<Play> {
  const { namespace, webhook } = pipeline();
  const task = String(randomInt(100_000, 1_000_000_000));
  const repository = `wro-e2e/${prefix}-${task}`;
  const name = `${prefix}-${task}`;
  await createWorkflow(
    namespace,
    playWorkflow(name, { 'task-id': task, repository: repository.replace('/', '.') }),
  );
  const branch = `feature/task-${task}-pipeline`;
  const payloadOf = (stage: Stage): [string, unknown] => {
    switch (stage) {
      case 'opened': {
        const payload = inRepository(withHeadRef(opened(), branch), repository);
        payload.pull_request.created_at = payload.pull_request.updated_at = stamp();
        return ['pull_request', payload];
      }
      case 'ready': {
        const payload = inRepository(
          withLabels(withHeadRef(labeledWith('ready-for-qa'), branch), ['ready-for-qa']),
          repository,
        );
        payload.pull_request.created_at = payload.pull_request.updated_at = stamp();
        return ['pull_request', payload];
      }
      case 'approved': {
        const payload = inRepository(withHeadRef(reviewWithState('approved'), branch), repository);
        payload.review.submitted_at = stamp();
        return ['pull_request_review', payload];
      }
    }
  };
  return {
    name,
    task,
    repository,
    branch,
    namespace,
    send: (stage, options) => {
      const [event, payload] = payloadOf(stage);
      return deliver(webhook, event, payload, options);
    },
  };
}

/** The ResumeRequests in `namespace` that carry `deliveryId`. */
export async function requestsOfDelivery(namespace: string, deliveryId: string): Promise<ResumeRequest[]> {
  const list = JSON.parse(await kubectlOk(['-n', namespace, 'get', 'resumerequests', '-o', 'json'])) as {
    items: ResumeRequest[];
  };
  return list.items.filter((request) => request.spec.github?.deliveryId === deliveryId);
}

/** Waits for the first ResumeRequest of a delivery. */
export async function requestOfDelivery(
  namespace: string,
  deliveryId: string,
  timeoutMs = 60_000,
): Promise<ResumeRequest> {
  return waitFor(
    `a ResumeRequest of delivery ${deliveryId}`,
    async () => (await requestsOfDelivery(namespace, deliveryId))[0],
    { timeoutMs, intervalMs: 100 },
  );
}

/** When the Sensor created the request: the action-timestamp label Argo Events sets, in ms. */
export function createdAtMs(request: ResumeRequest): number {
  return Number(request.metadata.labels?.['events.argoproj.io/action-timestamp']);
}
