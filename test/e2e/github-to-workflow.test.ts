// End to end: real GitHub webhook deliveries go through the Argo Events Sensor of
// config/argo-events (Argo Events' own filter and trigger code, via hack/sensor-render), the
// ResumeRequests it creates are applied to the plane, and the operator, under its shipped RBAC,
// drives the play workflow through the real Argo controller to Succeeded.
import { randomUUID } from 'node:crypto';
import { kubectlOk } from '../support/plane.js';
import { operatorForFile } from '../support/operator.js';
import { getResumeRequest, waitForPhase } from '../support/resume-requests.js';
import {
  createWorkflow,
  getWorkflow,
  playWorkflow,
  waitForSuspendAt,
  waitForWorkflowPhase,
} from '../support/workflows.js';
import { labeledWith, opened, reviewWithState } from '../fixtures/github/payloads.js';
import { withHeadRef, withLabels } from '../fixtures/github-requests.js';
import { buildSensorRender, render } from '../fixtures/github/sensor-render.js';

const file = operatorForFile('e2e', { prepare: buildSensorRender });

/** A delivery as GitHub sends it now: an event older than its workflow would rightly be ignored. */
function fresh<T extends { pull_request: { created_at: string; updated_at: string } }>(payload: T): T {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  payload.pull_request.created_at = now;
  payload.pull_request.updated_at = now;
  return payload;
}

async function deliver(event: string, payload: unknown): Promise<string> {
  const rendered = await render(event, payload, { deliveryId: randomUUID() });
  if (!rendered.object) throw new Error(`the Sensor produced nothing: ${rendered.stderr}`);
  await kubectlOk(['-n', file.namespace, 'create', '-f', '-'], JSON.stringify(rendered.object));
  return rendered.object.metadata.name;
}

describe('a GitHub webhook delivery', () => {
  it('advances the play workflow of its task stage by stage to Succeeded', async () => {
    const base = opened();
    const repository = base.repository.full_name;
    await createWorkflow(
      file.namespace,
      playWorkflow('e2e-play', { 'task-id': '501', repository: repository.replace('/', '.') }),
    );
    const branch = 'feature/task-501-checkout';

    await waitForSuspendAt(file.namespace, 'e2e-play', 'wait-pr-created');
    const created = await deliver('pull_request', fresh(withHeadRef(opened(), branch)));
    expect((await waitForPhase(file.namespace, created, 'Succeeded')).status).toMatchObject({
      taskId: '501',
      eventType: 'pr-created',
      workflowName: 'e2e-play',
    });

    // Another label on the same pull request is filtered out by the Sensor: nothing is created.
    const other = await render('pull_request', fresh(withHeadRef(labeledWith('documentation'), branch)));
    expect(other.code).toBe(3);

    await waitForSuspendAt(file.namespace, 'e2e-play', 'wait-ready-for-qa');
    const ready = await deliver(
      'pull_request',
      fresh(withLabels(withHeadRef(labeledWith('ready-for-qa'), branch), ['ready-for-qa'])),
    );
    expect((await waitForPhase(file.namespace, ready, 'Succeeded')).status?.eventType).toBe(
      'pr-labeled-ready',
    );

    await waitForSuspendAt(file.namespace, 'e2e-play', 'wait-pr-approved');
    const review = withHeadRef(reviewWithState('approved'), branch);
    review.review.submitted_at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const approved = await deliver('pull_request_review', review);
    expect((await waitForPhase(file.namespace, approved, 'Succeeded')).status?.eventType).toBe('pr-approved');

    const workflow = await waitForWorkflowPhase(file.namespace, 'e2e-play', 'Succeeded');
    expect(workflow.metadata.annotations?.['resume.workflows.dev/waiting-pr-approved']).toBe(
      `${file.namespace}/${approved}`,
    );

    // The same delivery again (GitHub's redelivery) is refused by name and changes nothing.
    const again = await getResumeRequest(file.namespace, approved);
    const redelivered = await render('pull_request_review', review, {
      deliveryId: again!.spec.github!.deliveryId!,
    });
    const refused = await kubectlOk(
      ['-n', file.namespace, 'create', '-f', '-'],
      JSON.stringify(redelivered.object),
    ).catch((error: Error) => error.message);
    expect(refused).toMatch(/AlreadyExists/);
    expect((await getWorkflow(file.namespace, 'e2e-play')).status?.phase).toBe('Succeeded');
  });
});
