// End to end through the real pipeline: signed GitHub deliveries over HTTP to the EventSource of
// config/argo-events, the JetStream bus, the Sensor (as its ServiceAccount) creating
// ResumeRequests, and the operator, under its shipped RBAC, driving the play workflow through
// the real Argo controller to Succeeded. Prints, per delivery, the time from sending it to its
// ResumeRequest (the Sensor often creates it before the 200 reaches the sender: the EventSource
// answers once the bus has stored the event) and from the HTTP answer to the resume.
import { labeledWith } from '../fixtures/github/payloads.js';
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
import { getWorkflow, waitForSuspendAt, waitForWorkflowPhase } from '../support/workflows.js';

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
          withHeadRef(labeledWith('documentation'), `feature/task-${play.task}-pipeline`),
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
