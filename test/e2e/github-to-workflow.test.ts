// End to end through the real pipeline: signed GitHub deliveries over HTTP to the EventSource of
// config/argo-events, the JetStream bus, the Sensor (as its ServiceAccount) creating
// ResumeRequests, and the operator, under its shipped RBAC, driving the play workflow through
// the real Argo controller to Succeeded. Prints, per delivery, the time from sending it to its
// ResumeRequest (the Sensor often creates it before the 200 reaches the sender: the EventSource
// answers once the bus has stored the event) and from the HTTP answer to the resume. Through the
// same pipeline, reviews count as GitHub counts them: only the play's own pull request's, each
// reviewer's latest review deciding.
import type { PullRequestReviewSubmittedEvent } from '@octokit/webhooks-types';
import { inRepository, labeledWith, reviewBy } from '../fixtures/github/payloads.js';
import { withHeadRef } from '../fixtures/github-requests.js';
import { deliver } from '../support/github-webhook.js';
import { operatorForFile } from '../support/operator.js';
import { pipeline } from '../support/plane.js';
import {
  createdAtMs,
  requestOfDelivery,
  requestsOfDelivery,
  startPlay,
  SUSPEND_NODE,
  type Stage,
} from '../support/pipeline-plays.js';
import { waitForPhase } from '../support/resume-requests.js';
import {
  getWorkflow,
  nodeByDisplayName,
  waitForSuspendAt,
  waitForWorkflowPhase,
} from '../support/workflows.js';

operatorForFile('e2e-pipeline', { namespace: () => pipeline().namespace });

describe('GitHub deliveries through the Argo Events pipeline', () => {
  it('advance the play workflow of their task stage by stage to Succeeded', async () => {
    const play = await startPlay('e2e-play');
    const timings: Record<string, { sentToRequestMs: number; answeredToResumeMs: number }> = {};
    let filteredOut: string | undefined;
    for (const stage of ['opened', 'ready', 'approved'] as Stage[]) {
      await waitForSuspendAt(play.namespace, play.name, SUSPEND_NODE[stage]);
      if (stage === 'ready') {
        // Another label on the same pull request: the Sensor filters it out and creates nothing.
        // The pr-labeled-ready trigger takes its messages in order, so once the ready-for-qa
        // delivery sent after it has its request, this one has been decided.
        const other = await deliver(
          pipeline().webhook,
          'pull_request',
          withHeadRef(labeledWith('documentation'), play.branch),
        );
        expect(other.status).toBe(200);
        filteredOut = other.deliveryId;
      }
      const answer = await play.send(stage);
      expect(answer.status).toBe(200);
      const created = await requestOfDelivery(play.namespace, answer.deliveryId);
      const done = await waitForPhase(play.namespace, created.metadata.name, 'Succeeded');
      expect(done.status).toMatchObject({ taskId: play.task, workflowName: play.name });
      timings[stage] = {
        sentToRequestMs: createdAtMs(created) - answer.sentAt,
        answeredToResumeMs: Date.parse(done.status!.resumeTime!) - answer.answeredAt,
      };
    }
    expect(await requestsOfDelivery(play.namespace, filteredOut!)).toEqual([]);
    await waitForWorkflowPhase(play.namespace, play.name, 'Succeeded');
    const workflow = await getWorkflow(play.namespace, play.name);
    expect(workflow.metadata.annotations?.['resume.workflows.dev/waiting-pr-approved']).toMatch(
      new RegExp(`^${play.namespace}/gh-`),
    );
    process.stdout.write(`delivery → ResumeRequest, answer → resumed (ms): ${JSON.stringify(timings)}\n`);
  });
});

describe('reviews through the Argo Events pipeline', () => {
  it('count only on the play’s own pull request, each reviewer’s latest review deciding', async () => {
    const play = await startPlay('e2e-review');
    const ns = play.namespace;
    for (const stage of ['opened', 'ready'] as Stage[]) {
      await waitForSuspendAt(ns, play.name, SUSPEND_NODE[stage]);
      const answer = await play.send(stage);
      const created = await requestOfDelivery(ns, answer.deliveryId);
      await waitForPhase(ns, created.metadata.name, 'Succeeded');
    }
    await waitForSuspendAt(ns, play.name, SUSPEND_NODE.approved);

    /** A review by mona of the play's branch, submitted now, changed as `edit` says. */
    const send = (
      state: PullRequestReviewSubmittedEvent['review']['state'],
      edit: (payload: PullRequestReviewSubmittedEvent) => void = () => {},
    ) => {
      const payload = inRepository(withHeadRef(reviewBy('mona', state), play.branch), play.repository);
      payload.review.submitted_at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      edit(payload);
      return deliver(pipeline().webhook, 'pull_request_review', payload);
    };
    // A fork's pull request whose branch names the task, approved by a member.
    const fork = await send('approved', (payload) => {
      payload.pull_request.head.repo = {
        ...payload.pull_request.head.repo!,
        full_name: `mallory/${payload.repository.name}`,
        fork: true,
      };
    });
    // Another pull request of the repository whose branch names the task.
    const side = await send('approved', (payload) => {
      payload.pull_request.number += 1000;
    });
    // On the play's own pull request, mona requests changes.
    const changes = await send('changes_requested');
    for (const answer of [fork, side, changes]) expect(answer.status).toBe(200);

    const sideRequest = await requestOfDelivery(ns, side.deliveryId);
    expect((await waitForPhase(ns, sideRequest.metadata.name, 'Ignored')).status?.reason).toBe(
      'OtherPullRequest',
    );
    const changesRequest = await requestOfDelivery(ns, changes.deliveryId);
    expect((await waitForPhase(ns, changesRequest.metadata.name, 'Waiting')).status?.reason).toBe(
      'ApprovalWithdrawn',
    );
    // The pr-approved trigger takes its messages in order: the fork's, sent first, was filtered out.
    expect(await requestsOfDelivery(ns, fork.deliveryId)).toEqual([]);
    const node = nodeByDisplayName(await getWorkflow(ns, play.name), SUSPEND_NODE.approved);
    expect(node?.phase).toBe('Running');

    // Mona approves after all: her latest review, which resumes the stage.
    const approves = await send('approved');
    expect(approves.status).toBe(200);
    const approval = await requestOfDelivery(ns, approves.deliveryId);
    expect((await waitForPhase(ns, approval.metadata.name, 'Succeeded')).status?.reason).toBe('Resumed');
    // Superseded, or, when looked at only after the approval settled, past its stage.
    expect(['ReviewSuperseded', 'AlreadyResumed']).toContain(
      (await waitForPhase(ns, changesRequest.metadata.name, 'Ignored')).status?.reason,
    );
    await waitForWorkflowPhase(ns, play.name, 'Succeeded');
  });
});
