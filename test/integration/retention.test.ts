// Retention on the plane, with the operator under its shipped RBAC: a finished request goes after
// the operator's TTL or its own, one that Argo CD or Flux tracks stays unless it asks, and a
// request created again under the same name after its deletion resumes nothing, not even a newer
// run of its task waiting at the same stage.
import { operatorForFile } from '../support/operator.js';
import { waitFor } from '../support/plane.js';
import { createResumeRequest, getResumeRequest, waitForPhase } from '../support/resume-requests.js';
import {
  createWorkflow,
  getWorkflow,
  nodeByDisplayName,
  playWorkflow,
  waitForSuspendAt,
} from '../support/workflows.js';

const TTL_SECONDS = 2;
const ctx = operatorForFile('retention', { env: { WRO_TTL_SECONDS_AFTER_FINISHED: String(TTL_SECONDS) } });

const gone = (namespace: string, name: string) =>
  waitFor(
    `${name} to be deleted`,
    async () => ((await getResumeRequest(namespace, name)) ? undefined : true),
    {
      timeoutMs: 30_000,
    },
  );

test('finished requests go after the TTL, GitOps-tracked ones stay unless their spec asks', async () => {
  const { namespace } = ctx;
  // Requests that fail at once: a validation rule on an event payload none of them carries.
  const failing = {
    taskId: '1',
    eventType: 'pr-created' as const,
    validationRules: [{ field: 'event.x', operator: 'Exists' as const }],
  };
  await createResumeRequest(namespace, 'plain', failing);
  await createResumeRequest(namespace, 'argocd', failing, {
    annotations: {
      'argocd.argoproj.io/tracking-id': `app:resume.workflows.dev/ResumeRequest:${namespace}/argocd`,
    },
  });
  await createResumeRequest(namespace, 'flux', failing, {
    labels: {
      'kustomize.toolkit.fluxcd.io/name': 'apps',
      'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
    },
  });
  await createResumeRequest(
    namespace,
    'flux-asks',
    { ...failing, ttlSecondsAfterFinished: 1 },
    {
      labels: { 'kustomize.toolkit.fluxcd.io/name': 'apps' },
    },
  );
  for (const name of ['plain', 'argocd', 'flux', 'flux-asks']) await waitForPhase(namespace, name, 'Failed');
  await gone(namespace, 'plain');
  await gone(namespace, 'flux-asks');
  // Two seconds past the moment their TTL would have run out, the tracked ones are still there.
  const completed = Date.parse((await getResumeRequest(namespace, 'argocd'))!.status!.completionTime!);
  await new Promise((resolve) =>
    setTimeout(resolve, Math.max(0, completed + (TTL_SECONDS + 2) * 1000 - Date.now())),
  );
  expect((await getResumeRequest(namespace, 'argocd'))?.status?.phase).toBe('Failed');
  expect((await getResumeRequest(namespace, 'flux'))?.status?.phase).toBe('Failed');
});

test('a request created again after its deletion finds its marker and resumes nothing', async () => {
  const { namespace } = ctx;
  await createWorkflow(namespace, playWorkflow('run-1', { 'task-id': '77' }));
  await waitForSuspendAt(namespace, 'run-1', 'wait-pr-created');
  const spec = { taskId: '77', eventType: 'pr-created' as const };
  await createResumeRequest(namespace, 'manual-77-created', spec);
  expect((await waitForPhase(namespace, 'manual-77-created', 'Succeeded')).status?.reason).toBe('Resumed');
  await gone(namespace, 'manual-77-created');

  // The task starts again; its new run waits at the same stage when the same manifest comes back.
  await createWorkflow(namespace, playWorkflow('run-2', { 'task-id': '77' }));
  await waitForSuspendAt(namespace, 'run-2', 'wait-pr-created');
  await createResumeRequest(namespace, 'manual-77-created', spec);
  const again = await waitForPhase(namespace, 'manual-77-created', 'Succeeded');
  expect(again.status).toMatchObject({ reason: 'ResumedByThisRequest', workflowName: 'run-1' });
  expect(nodeByDisplayName(await getWorkflow(namespace, 'run-2'), 'wait-pr-created')?.phase).toBe('Running');
});
