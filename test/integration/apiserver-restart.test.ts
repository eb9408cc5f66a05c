// The operator rides out a kube-apiserver restart: its watches break, it keeps retrying with
// backoff instead of stopping (as client-node's own informers would), and once the API server is
// back it resumes new requests. Leader election is off here: a leader that cannot renew its lease
// for renewDeadline exits on purpose (another replica may have taken over), which
// operator-faults.test.ts covers. This file stops the shared plane's API server, which is why
// the integration tests run one file at a time.
import { join } from 'node:path';
import { kubectl, plane, projectRoot, run, waitFor } from '../support/plane.js';
import { operatorForFile } from '../support/operator.js';
import { createResumeRequest, waitForPhase } from '../support/resume-requests.js';
import { createWorkflow, playWorkflow, waitForSuspendAt } from '../support/workflows.js';

const file = operatorForFile('restart', { env: { WRO_LEADER_ELECTION: 'false' } });
const planeScript = join(projectRoot, 'hack/plane');

it('reconnects after the API server restarts and resumes requests created afterwards', async () => {
  await createWorkflow(file.namespace, playWorkflow('restart-play', { 'task-id': '401' }));
  await waitForSuspendAt(file.namespace, 'restart-play', 'wait-pr-created');

  const stopped = await run(planeScript, ['stop', plane().dir, 'apiserver']);
  expect(stopped.code).toBe(0);
  try {
    await waitFor('the operator to notice the API server is gone', async () =>
      /"message":"(watch|list) failed, retrying"/.test(file.operator.logs()) ? true : undefined,
    );
  } finally {
    const started = await run(planeScript, ['start', plane().dir, 'apiserver']);
    expect(started.code).toBe(0);
    await waitFor(
      'the API server to be ready again',
      async () => ((await kubectl(['get', '--raw', '/readyz'])).stdout === 'ok' ? true : undefined),
      { timeoutMs: 60_000 },
    );
  }
  expect(file.operator.process.exitCode).toBeNull();
  // The Argo controller's own informers back off for a long while after the outage; restarting it
  // leaves the shared plane as responsive for the files that run next as it was before.
  await run(planeScript, ['stop', plane().dir, 'controller']);
  await run(planeScript, ['start', plane().dir, 'controller']);
  await createWorkflow(file.namespace, playWorkflow('after-restart-probe', { 'task-id': '402' }));
  await waitForSuspendAt(file.namespace, 'after-restart-probe', 'wait-pr-created', 120_000);

  await createResumeRequest(file.namespace, 'after-restart', { taskId: '401', eventType: 'pr-created' });
  const request = await waitForPhase(file.namespace, 'after-restart', 'Succeeded', 60_000);
  expect(request.status?.reason).toBe('Resumed');
  expect(file.operator.process.exitCode).toBeNull();
});
