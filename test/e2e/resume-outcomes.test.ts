// End to end, on the real Argo controller, through the Argo Events Sensor where GitHub facts are
// involved: outcomes that must not be final too early, or wrong. A request name used again for
// the task's next run resumes that run; what follows a resume survives an operator stopped
// between the resume and its status write; a late event does not resume a later visit of a
// stage the play entered again, and GitHub's clock may run a little behind the cluster's; a
// person's `argo suspend` holds through a GitHub event.
import type { Workflow } from '../../src/api/workflow.js';
import { applyResume, markerKeyFor } from '../../src/domain/resume-mutation.js';
import { operatorForFile, operatorWithDomainConfig } from '../support/operator.js';
import { kubectlOk, waitFor } from '../support/plane.js';
import { createResumeRequest, markerOf, waitForPhase } from '../support/resume-requests.js';
import {
  createWorkflow,
  customObjects,
  getWorkflow,
  nodeByDisplayName,
  playWorkflow,
  waitForSuspendAt,
  waitForWorkflowPhase,
} from '../support/workflows.js';
import { labeledWith, opened } from '../fixtures/github/payloads.js';
import { withHeadRef, withLabels } from '../fixtures/github-requests.js';
import { buildSensorRender, deliverTo, githubTime } from '../fixtures/github/sensor-render.js';

const file = operatorForFile('e2e-outcomes', { prepare: buildSensorRender });
const HOME = { repository: 'Codertocat.Hello-World' };
const workflowsApi = { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflows' } as const;

async function deliver(namespace: string, event: string, payload: unknown): Promise<string> {
  const name = await deliverTo(namespace, event, payload);
  if (name === undefined) throw new Error(`the Sensor filtered out a ${event} delivery`);
  return name;
}

/** The ready-for-qa label added to the task's pull request at `at` (GitHub's updated_at). */
function labelledAt(branch: string, at: string) {
  const payload = withLabels(withHeadRef(labeledWith('ready-for-qa'), branch), ['ready-for-qa']);
  payload.pull_request.updated_at = at;
  return payload;
}

/** Until the clock has passed `time` (creation times and node times have one-second resolution). */
async function clockPast(time: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));
}

describe('a request name used again', () => {
  it('for the task’s next run resumes that run, not the earlier run’s marker', async () => {
    const ns = file.namespace;
    await createWorkflow(ns, playWorkflow('rerun-1', { 'task-id': '801', ...HOME }));
    await waitForSuspendAt(ns, 'rerun-1', 'wait-pr-created');
    // A manifest kept in Git for the task, applied by a GitOps tool.
    await createResumeRequest(ns, 'task-801-created', { taskId: '801', eventType: 'pr-created' });
    expect((await waitForPhase(ns, 'task-801-created', 'Succeeded')).status?.workflowName).toBe('rerun-1');
    await kubectlOk(['-n', ns, 'delete', 'rr', 'task-801-created', '--wait=true']);

    await clockPast(Date.parse((await getWorkflow(ns, 'rerun-1')).metadata.creationTimestamp!) + 1100);
    await createWorkflow(ns, playWorkflow('rerun-2', { 'task-id': '801', ...HOME }));
    await waitForSuspendAt(ns, 'rerun-2', 'wait-pr-created');
    await createResumeRequest(ns, 'task-801-created', { taskId: '801', eventType: 'pr-created' });
    const again = await waitForPhase(ns, 'task-801-created', 'Succeeded');
    expect(again.status).toMatchObject({ reason: 'Resumed', workflowName: 'rerun-2' });
    const newer = await waitForSuspendAt(ns, 'rerun-2', 'wait-ready-for-qa');
    expect(newer.metadata.annotations?.['resume.workflows.dev/waiting-pr-created']).toBe(
      await markerOf(ns, 'task-801-created'),
    );
  });
});

describe('what follows a resume', () => {
  it('is done by the next operator when the previous one stopped between the resume and its status write', async () => {
    let older = '';
    let newer: Workflow | undefined;
    const { namespace: ns, operator } = await operatorWithDomainConfig(
      'e2e-failover',
      { stopOlderDuplicates: true },
      {
        env: { WRO_WORKFLOW_EVENTS: 'true' },
        // What an operator stopped right after its resume leaves: the node resumed with this
        // request's marker, in one write, and nothing else (no status, no stop, no Event).
        prepare: async (namespace) => {
          await createWorkflow(namespace, playWorkflow('dup-old', { 'task-id': '802', ...HOME }));
          older = (await waitForSuspendAt(namespace, 'dup-old', 'wait-pr-created')).metadata.name;
          await clockPast(
            Date.parse((await getWorkflow(namespace, 'dup-old')).metadata.creationTimestamp!) + 1100,
          );
          await createWorkflow(namespace, playWorkflow('dup-new', { 'task-id': '802', ...HOME }));
          const waiting = await waitForSuspendAt(namespace, 'dup-new', 'wait-pr-created');
          await createResumeRequest(namespace, 'resumed-then-stopped', {
            taskId: '802',
            eventType: 'pr-created',
          });
          const result = applyResume(waiting, {
            nodeId: nodeByDisplayName(waiting, 'wait-pr-created')!.id,
            markerKey: markerKeyFor('waiting-pr-created'),
            markerValue: await markerOf(namespace, 'resumed-then-stopped'),
            message: `Resumed by ResumeRequest ${namespace}/resumed-then-stopped (pr-created)`,
            now: new Date(),
          });
          if (!result.ok) throw new Error(result.message);
          newer = (await customObjects().replaceNamespacedCustomObject({
            ...workflowsApi,
            namespace,
            name: 'dup-new',
            body: result.workflow,
          })) as Workflow;
        },
      },
    );
    try {
      const settled = await waitForPhase(ns, 'resumed-then-stopped', 'Succeeded');
      expect(settled.status).toMatchObject({ reason: 'ResumedByThisRequest', workflowName: 'dup-new' });
      expect(settled.status?.resumeTime).toBe(nodeByDisplayName(newer!, 'wait-pr-created')!.finishedAt);
      // The older duplicate is stopped, the resume is on record as an Event, and timed.
      await waitFor('the older duplicate to be stopped', async () =>
        (await getWorkflow(ns, older)).spec?.shutdown === 'Stop' ? true : undefined,
      );
      const reasons = async (name: string) =>
        await kubectlOk([
          '-n',
          ns,
          'get',
          'events',
          '--field-selector',
          `involvedObject.kind=Workflow,involvedObject.name=${name}`,
          '-o',
          'jsonpath={.items[*].reason}',
        ]);
      await waitFor('the Resumed and StoppedAsDuplicate Events', async () =>
        (await reasons('dup-new')).includes('Resumed') &&
        (await reasons(older)).includes('StoppedAsDuplicate')
          ? true
          : undefined,
      );
      const metrics = await operator.metrics();
      expect(metrics).toMatch(/^workflow_resume_duration_seconds_count 1$/m);
      expect(metrics).toMatch(/^workflow_resume_latency_seconds_count 1$/m);
    } finally {
      await operator.stop();
    }
  });
});

describe('late events and clocks', () => {
  /** A play whose QA stage comes twice: the second visit runs the same suspend template. */
  function looped(name: string, taskId: string): Workflow {
    const workflow = playWorkflow(name, { 'task-id': taskId, ...HOME });
    const spec = workflow.spec as { templates: { name: string; steps?: unknown[][] }[] };
    const play = spec.templates.find((template) => template.name === 'play')!;
    play.steps!.splice(2, 0, [{ name: 'qa-again', template: 'wait-ready-for-qa' }]);
    return workflow;
  }

  it('refuses an event of a stage’s earlier visit that arrives after the play entered the stage again', async () => {
    const { namespace: ns, operator } = await operatorWithDomainConfig('e2e-visits', { clockSkewSeconds: 0 });
    try {
      await createWorkflow(ns, looped('loop', '803'));
      const created = Date.parse((await getWorkflow(ns, 'loop')).metadata.creationTimestamp!);
      await waitForSuspendAt(ns, 'loop', 'wait-pr-created');
      await createResumeRequest(ns, 'loop-created', { taskId: '803', eventType: 'pr-created' });
      await waitForSuspendAt(ns, 'loop', 'wait-ready-for-qa');
      // The label added during the first visit; its delivery is late. The first visit ends later.
      const duringFirstVisit = githubTime(new Date(created));
      await clockPast(created + 2100);
      await createResumeRequest(ns, 'loop-qa-1', { taskId: '803', eventType: 'pr-labeled-ready' });
      await waitForPhase(ns, 'loop-qa-1', 'Succeeded');
      await waitForSuspendAt(ns, 'loop', 'qa-again');

      const late = await deliver(ns, 'pull_request', labelledAt('task-803-x', duringFirstVisit));
      const refused = await waitForPhase(ns, late, 'Ignored');
      expect(refused.status?.reason).toBe('EventPredatesVisit');
      expect(refused.status?.message).toContain(
        `the event (${duringFirstVisit}) is older than the end of the stage's previous visit`,
      );
      expect(nodeByDisplayName(await getWorkflow(ns, 'loop'), 'qa-again')?.phase).toBe('Running');

      const current = await deliver(ns, 'pull_request', labelledAt('task-803-x', githubTime()));
      expect((await waitForPhase(ns, current, 'Succeeded')).status?.resumedNode).toBe('qa-again');
      await waitForSuspendAt(ns, 'loop', 'wait-pr-approved');
    } finally {
      await operator.stop();
    }
  });

  it('takes an event a few seconds older than its workflow as the workflow’s, and a much older one as an earlier run’s', async () => {
    const ns = file.namespace;
    const openedAt = async (workflow: string, task: string, secondsBefore: number) => {
      await createWorkflow(ns, playWorkflow(workflow, { 'task-id': task, ...HOME }));
      const created = Date.parse((await getWorkflow(ns, workflow)).metadata.creationTimestamp!);
      await waitForSuspendAt(ns, workflow, 'wait-pr-created');
      const payload = withHeadRef(opened(), `task-${task}-x`);
      payload.pull_request.created_at = githubTime(new Date(created - secondsBefore * 1000));
      return deliver(ns, 'pull_request', payload);
    };
    // GitHub's clock 3 s behind the cluster's: within clockSkewSeconds (5).
    const skewed = await openedAt('skew-small', '804', 3);
    expect((await waitForPhase(ns, skewed, 'Succeeded')).status?.reason).toBe('Resumed');
    const stale = await openedAt('skew-large', '805', 30);
    expect((await waitForPhase(ns, stale, 'Ignored')).status?.reason).toBe('EventPredatesWorkflow');
  });
});

describe('a person’s argo suspend', () => {
  it('holds through a GitHub event: the stage is resumed, the workflow stays suspended until resumed', async () => {
    const ns = file.namespace;
    // Two plays at QA, one of them suspended by a person; the other shows what Argo does meanwhile.
    for (const [name, task] of [
      ['held', '806'],
      ['free', '807'],
    ] as const) {
      await createWorkflow(ns, playWorkflow(name, { 'task-id': task, ...HOME }));
      await waitForSuspendAt(ns, name, 'wait-pr-created');
      await createResumeRequest(ns, `${name}-created`, { taskId: task, eventType: 'pr-created' });
      await waitForSuspendAt(ns, name, 'wait-ready-for-qa');
    }
    // argo suspend and argo resume, as merge patches of spec.suspend.
    const suspend = (value: true | null) =>
      kubectlOk([
        '-n',
        ns,
        'patch',
        'workflow',
        'held',
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { suspend: value } }),
      ]);
    await suspend(true);

    const [held, free] = await Promise.all([
      deliver(ns, 'pull_request', labelledAt('task-806-x', githubTime())),
      deliver(ns, 'pull_request', labelledAt('task-807-x', githubTime())),
    ]);
    const resumed = await waitForPhase(ns, held, 'Succeeded');
    expect(resumed.status?.message).toContain(
      'the workflow stays suspended (spec.suspend, as argo suspend sets it)',
    );
    await waitForPhase(ns, free, 'Succeeded');
    // Once Argo has taken the free play on to its next stage, the held one is still where it was.
    await waitForSuspendAt(ns, 'free', 'wait-pr-approved');
    const stillHeld = await getWorkflow(ns, 'held');
    expect(stillHeld.spec?.suspend).toBe(true);
    expect(nodeByDisplayName(stillHeld, 'wait-ready-for-qa')?.phase).toBe('Succeeded');
    expect(nodeByDisplayName(stillHeld, 'wait-pr-approved')).toBeUndefined();

    // The person resumes the workflow: it goes on to the next stage.
    await suspend(null);
    await waitForSuspendAt(ns, 'held', 'wait-pr-approved');
    await createResumeRequest(ns, 'held-approved', { taskId: '806', eventType: 'pr-approved' });
    await waitForWorkflowPhase(ns, 'held', 'Succeeded');
  });
});
