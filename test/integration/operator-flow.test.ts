// The operator against the real plane and the real Argo controller, under its shipped RBAC:
// the full play, early, late and duplicate events, several candidates, and bad requests.
import { kubectlOk, waitFor } from '../support/plane.js';
import { operatorForFile } from '../support/operator.js';
import {
  createResumeRequest,
  getResumeRequest,
  githubFacts,
  markerOf,
  waitForPhase,
} from '../support/resume-requests.js';
import {
  createWorkflow,
  getWorkflow,
  nodeByDisplayName,
  playWorkflow,
  waitForSuspendAt,
  waitForWorkflowPhase,
} from '../support/workflows.js';

// The Events a resume may also record (on the request that succeeded, on the workflow) are on
// here, so `kubectl describe` of both is checked too.
const file = operatorForFile('flow', {
  env: { WRO_WORKFLOW_EVENTS: 'true', WRO_SUCCEEDED_EVENTS: 'true' },
});

const prOpened = (branch: string) =>
  githubFacts('pull_request', 'opened', { headRef: branch, labels: [], title: 'Implement it' });
const prLabeledReady = (branch: string) =>
  githubFacts('pull_request', 'labeled', {
    headRef: branch,
    label: 'ready-for-qa',
    labels: ['ready-for-qa'],
  });
const prApproved = (branch: string) =>
  githubFacts('pull_request_review', 'submitted', { headRef: branch, reviewState: 'approved' });

describe('the operator', () => {
  it('drives a play workflow through its three stages from three GitHub events', async () => {
    await createWorkflow(file.namespace, playWorkflow('play-1', { 'task-id': '101' }));
    const events = [
      ['pr-created', 'wait-pr-created', prOpened('task-101-login')],
      ['pr-ready', 'wait-ready-for-qa', prLabeledReady('task-101-login')],
      ['pr-approved', 'wait-pr-approved', prApproved('task-101-login')],
    ] as const;
    for (const [name, node, github] of events) {
      await waitForSuspendAt(file.namespace, 'play-1', node);
      await createResumeRequest(file.namespace, `play-1-${name}`, {
        repository: 'acme-org/widgets',
        prNumber: 7,
        github,
      });
      const request = await waitForPhase(file.namespace, `play-1-${name}`, 'Succeeded');
      expect(request.status).toMatchObject({
        reason: 'Resumed',
        taskId: '101',
        workflowName: 'play-1',
        attempts: 1,
      });
      expect(request.status?.resumedNode).toContain(node);
    }
    const workflow = await waitForWorkflowPhase(file.namespace, 'play-1', 'Succeeded');
    expect(workflow.metadata.annotations).toMatchObject({
      'resume.workflows.dev/waiting-pr-created': await markerOf(file.namespace, 'play-1-pr-created'),
      'resume.workflows.dev/waiting-pr-approved': await markerOf(file.namespace, 'play-1-pr-approved'),
      // The pr-created resume recorded the play's pull request.
      'resume.workflows.dev/pull-request': '{"repository":"acme-org/widgets","number":7}',
    });
    const table = await kubectlOk(['-n', file.namespace, 'get', 'rr']);
    expect(table).toMatch(/play-1-pr-approved\s+101\s+pr-approved\s+Succeeded\s+play-1\s+1\s/);
    // `kubectl describe` of the request and of the workflow tells the same story as Events.
    const reasonsFor = async (kind: string, name: string) =>
      (
        await kubectlOk([
          '-n',
          file.namespace,
          'get',
          'events',
          '--field-selector',
          `involvedObject.kind=${kind},involvedObject.name=${name}`,
          '-o',
          'jsonpath={.items[*].reason}',
        ])
      ).split(' ');
    await waitFor('the Resumed events', async () => {
      const onRequest = await reasonsFor('ResumeRequest', 'play-1-pr-approved');
      const onWorkflow = await reasonsFor('Workflow', 'play-1');
      return onRequest.includes('Resumed') && onWorkflow.filter((r) => r === 'Resumed').length === 3
        ? true
        : undefined;
    });
  });

  it('holds an early event until the workflow reaches its stage, then resumes it', async () => {
    await createWorkflow(file.namespace, playWorkflow('play-2', { 'task-id': '102' }));
    await waitForSuspendAt(file.namespace, 'play-2', 'wait-pr-created');
    await createResumeRequest(file.namespace, 'early-approval', {
      taskId: '102',
      eventType: 'pr-approved',
      resumeParameters: { approver: 'octocat' },
    });
    const waiting = await waitForPhase(file.namespace, 'early-approval', 'Waiting');
    expect(waiting.status?.reason).toBe('StageNotReached');
    await createResumeRequest(file.namespace, 'play-2-created', { taskId: '102', eventType: 'pr-created' });
    await waitForPhase(file.namespace, 'play-2-created', 'Succeeded');
    await createResumeRequest(file.namespace, 'play-2-ready', {
      taskId: '102',
      eventType: 'pr-labeled-ready',
    });
    await waitForPhase(file.namespace, 'play-2-ready', 'Succeeded');
    const resumed = await waitForPhase(file.namespace, 'early-approval', 'Succeeded');
    expect(resumed.status?.workflowName).toBe('play-2');
    const workflow = await waitForWorkflowPhase(file.namespace, 'play-2', 'Succeeded');
    const approval = nodeByDisplayName(workflow, 'wait-pr-approved');
    expect(approval?.outputs?.parameters).toEqual([
      expect.objectContaining({ name: 'approver', value: 'octocat' }),
    ]);
  });

  it('wakes a request that names only its workflow as soon as that workflow reaches the stage', async () => {
    await createWorkflow(file.namespace, playWorkflow('play-10', { 'task-id': '110' }));
    await waitForSuspendAt(file.namespace, 'play-10', 'wait-pr-created');
    await createResumeRequest(file.namespace, 'by-name-ready', {
      workflowName: 'play-10',
      eventType: 'pr-labeled-ready',
    });
    expect((await waitForPhase(file.namespace, 'by-name-ready', 'Waiting')).status?.reason).toBe(
      'StageNotReached',
    );
    await createResumeRequest(file.namespace, 'play-10-created', { taskId: '110', eventType: 'pr-created' });
    await waitForPhase(file.namespace, 'play-10-created', 'Succeeded');
    // Well inside the periodic resync (5 minutes): the workflow's own change woke the request.
    await waitForPhase(file.namespace, 'by-name-ready', 'Succeeded', 10_000);
  });

  it('records late and repeated events as ignored, with their reason', async () => {
    await createWorkflow(file.namespace, playWorkflow('play-3', { 'task-id': '103' }));
    await waitForSuspendAt(file.namespace, 'play-3', 'wait-pr-created');
    await createResumeRequest(file.namespace, 'play-3-created', { taskId: '103', eventType: 'pr-created' });
    await waitForPhase(file.namespace, 'play-3-created', 'Succeeded');
    await waitForSuspendAt(file.namespace, 'play-3', 'wait-ready-for-qa');

    await createResumeRequest(file.namespace, 'play-3-created-again', {
      taskId: '103',
      eventType: 'pr-created',
    });
    const again = await waitForPhase(file.namespace, 'play-3-created-again', 'Ignored');
    expect(again.status?.reason).toBe('AlreadyResumed');

    await createResumeRequest(file.namespace, 'play-3-unrelated', {
      repository: 'acme-org/widgets',
      github: githubFacts('pull_request', 'labeled', { headRef: 'task-103-x', label: 'documentation' }),
    });
    expect((await waitForPhase(file.namespace, 'play-3-unrelated', 'Ignored')).status?.reason).toBe(
      'NotRelevant',
    );

    await createResumeRequest(file.namespace, 'play-3-ready', {
      taskId: '103',
      eventType: 'pr-labeled-ready',
    });
    await waitForPhase(file.namespace, 'play-3-ready', 'Succeeded');
    await createResumeRequest(file.namespace, 'play-3-approved', { taskId: '103', eventType: 'pr-approved' });
    await waitForPhase(file.namespace, 'play-3-approved', 'Succeeded');
    await waitForWorkflowPhase(file.namespace, 'play-3', 'Succeeded');
    await createResumeRequest(file.namespace, 'play-3-late', { taskId: '103', eventType: 'pr-approved' });
    expect((await waitForPhase(file.namespace, 'play-3-late', 'Ignored')).status?.reason).toBe(
      'WorkflowCompleted',
    );
  });

  it('resumes a stage once however often and however concurrently its event arrives', async () => {
    await createWorkflow(file.namespace, playWorkflow('play-4', { 'task-id': '104' }));
    await waitForSuspendAt(file.namespace, 'play-4', 'wait-pr-created');
    const delivery = prOpened('task-104-search');
    const names = ['dup-a', 'dup-b', 'dup-c', 'dup-d'];
    const spec = { repository: 'acme-org/widgets', github: delivery };
    await Promise.all(names.map((name) => createResumeRequest(file.namespace, name, spec)));
    // The sensor names requests from the delivery id, so a redelivery is refused by the API server.
    await expect(createResumeRequest(file.namespace, 'dup-a', spec)).rejects.toMatchObject({
      code: 409,
    });
    const settled = await Promise.all(
      names.map(async (name) => {
        await waitForPhase(file.namespace, name, 'Succeeded').catch(() => undefined);
        return (await getResumeRequest(file.namespace, name))!;
      }),
    );
    const phases = settled.map((request) => `${request.status?.phase}/${request.status?.reason}`).sort();
    expect(phases.filter((phase) => phase === 'Succeeded/Resumed')).toHaveLength(1);
    expect(phases.filter((phase) => phase === 'Ignored/AlreadyResumed')).toHaveLength(3);
    await waitForSuspendAt(file.namespace, 'play-4', 'wait-ready-for-qa');
    const workflow = await getWorkflow(file.namespace, 'play-4');
    expect(nodeByDisplayName(workflow, 'wait-ready-for-qa')?.phase).toBe('Running');
  });

  it('resumes the newest of two workflows for one task and lists both as candidates', async () => {
    await createWorkflow(file.namespace, playWorkflow('play-5-old', { 'task-id': '105' }));
    await waitForSuspendAt(file.namespace, 'play-5-old', 'wait-pr-created');
    // Creation timestamps have one-second resolution.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await createWorkflow(file.namespace, playWorkflow('play-5-new', { 'task-id': '105' }));
    await waitForSuspendAt(file.namespace, 'play-5-new', 'wait-pr-created');
    await createResumeRequest(file.namespace, 'play-5-created', { taskId: '105', eventType: 'pr-created' });
    const request = await waitForPhase(file.namespace, 'play-5-created', 'Succeeded');
    expect(request.status?.workflowName).toBe('play-5-new');
    expect(request.status?.candidates).toEqual(['play-5-new', 'play-5-old']);
    expect(nodeByDisplayName(await getWorkflow(file.namespace, 'play-5-old'), 'wait-pr-created')?.phase).toBe(
      'Running',
    );
  });

  it('fails requests it cannot act on with a reason and message, and keeps running', async () => {
    await createResumeRequest(file.namespace, 'ambiguous', {
      taskId: '106',
      github: githubFacts('pull_request', 'opened', { headRef: 'task-107-other' }),
    });
    const ambiguous = await waitForPhase(file.namespace, 'ambiguous', 'Failed');
    expect(ambiguous.status?.reason).toBe('AmbiguousTaskId');
    expect(ambiguous.status?.message).toMatch(/106/);

    await createResumeRequest(file.namespace, 'no-task', {
      github: githubFacts('pull_request', 'opened', { headRef: 'main', labels: [] }),
    });
    const noTask = await waitForPhase(file.namespace, 'no-task', 'Failed');
    expect(noTask.status?.reason).toBe('MissingTaskId');

    await createWorkflow(file.namespace, playWorkflow('play-8', { 'task-id': '108', team: 'blue' }));
    await waitForSuspendAt(file.namespace, 'play-8', 'wait-pr-created');
    await createResumeRequest(file.namespace, 'wrong-team', {
      taskId: '108',
      eventType: 'pr-created',
      validationRules: [{ field: "workflow.metadata.labels['team']", operator: 'Equals', value: 'red' }],
    });
    const wrongTeam = await waitForPhase(file.namespace, 'wrong-team', 'Failed');
    expect(wrongTeam.status?.reason).toBe('ValidationFailed');
    expect(wrongTeam.status?.validationErrors).toHaveLength(1);
    expect(nodeByDisplayName(await getWorkflow(file.namespace, 'play-8'), 'wait-pr-created')?.phase).toBe(
      'Running',
    );
    // A rule on a field the workflow cache does not keep is checked against the whole workflow.
    await createResumeRequest(file.namespace, 'right-entrypoint', {
      taskId: '108',
      eventType: 'pr-created',
      validationRules: [{ field: 'workflow.spec.entrypoint', operator: 'Equals', value: 'play' }],
    });
    await waitForPhase(file.namespace, 'right-entrypoint', 'Succeeded');

    expect(file.operator.process.exitCode).toBeNull();
    await createWorkflow(file.namespace, playWorkflow('play-9', { 'task-id': '109' }));
    await waitForSuspendAt(file.namespace, 'play-9', 'wait-pr-created');
    await createResumeRequest(file.namespace, 'after-bad', { taskId: '109', eventType: 'pr-created' });
    await waitForPhase(file.namespace, 'after-bad', 'Succeeded');
  });

  it('exports metrics for the requests it finished', async () => {
    const metrics = await file.operator.metrics();
    expect(metrics).toMatch(/workflow_resume_requests_total\{phase="Succeeded",reason="Resumed"\} [1-9]/);
    expect(metrics).toMatch(/workflow_resume_attempts_total\{result="success"\} [1-9]/);
    expect(metrics).toMatch(/workflow_resume_duration_seconds_count [1-9]/);
    expect(metrics).toContain(
      `workflow_resume_circuit_breaker_state{breaker="backend:kubernetes/${file.namespace}"} 0`,
    );
    expect(metrics).toMatch(/^workflow_resume_queue_depth \d+$/m);
  });
});
