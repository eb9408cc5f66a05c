// Retention on the plane, with the operator under its shipped RBAC: a finished request goes after
// the operator's TTL or its own, one that Argo CD or Flux tracks stays unless it asks, and a
// request created again under the same name after its deletion is a new request, which resumes
// nothing its predecessor resumed (a newer run of its task, waiting at the stage, it does resume:
// test/e2e/resume-outcomes.test.ts).
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

test('a request created again after the TTL deleted it is a new request, which resumes nothing twice', async () => {
  const { namespace } = ctx;
  const marker = async () =>
    (await getWorkflow(namespace, 'run-1')).metadata.annotations?.['resume.workflows.dev/waiting-pr-created'];
  await createWorkflow(namespace, playWorkflow('run-1', { 'task-id': '77' }));
  await waitForSuspendAt(namespace, 'run-1', 'wait-pr-created');
  const spec = { taskId: '77', eventType: 'pr-created' as const };
  await createResumeRequest(namespace, 'manual-77-created', spec);
  expect((await waitForPhase(namespace, 'manual-77-created', 'Succeeded')).status?.reason).toBe('Resumed');
  const first = await marker();
  await gone(namespace, 'manual-77-created');

  // The same manifest comes back, as a GitOps tool would apply it again: the run it resumed is past
  // the stage, and the workflow's marker names the earlier request's uid, not this one's.
  await createResumeRequest(namespace, 'manual-77-created', spec);
  const again = await waitForPhase(namespace, 'manual-77-created', 'Ignored');
  expect(again.status).toMatchObject({ reason: 'AlreadyResumed', workflowName: 'run-1' });
  expect(again.status?.message).toContain(`(resumed by ResumeRequest ${namespace}/manual-77-created)`);
  expect(await marker()).toBe(first);
  expect(first).not.toContain((await getResumeRequest(namespace, 'manual-77-created'))!.metadata.uid);
  expect(nodeByDisplayName(await getWorkflow(namespace, 'run-1'), 'wait-ready-for-qa')?.phase).toBe(
    'Running',
  );
});
