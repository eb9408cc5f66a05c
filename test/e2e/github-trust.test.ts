// End to end, through the Argo Events Sensor of config/argo-events (hack/sensor-render) and the
// operator under its shipped RBAC, on the real Argo controller: GitHub is trusted only as far as
// the repository does. Outsiders' approvals and fork pull requests are stopped by the Sensor's
// filters and, when a Sensor without them lets them through, refused by the operator; a
// member's approval advances; another repository's event does not, and waits for a workflow of
// its own; a two-approval gate opens on the second reviewer account; an event for a stage the
// newest run has passed leaves older runs alone.
import { kubectlOk } from '../support/plane.js';
import { operatorForFile, startOperator, waitUntilLeading } from '../support/operator.js';
import { createResumeRequest, getResumeRequest, waitForPhase } from '../support/resume-requests.js';
import {
  createWorkflow,
  getWorkflow,
  nodeByDisplayName,
  playWorkflow,
  waitForSuspendAt,
  waitForWorkflowPhase,
} from '../support/workflows.js';
import { approvalBy, inRepository, opened, openedFromFork } from '../fixtures/github/payloads.js';
import { withHeadRef } from '../fixtures/github-requests.js';
import {
  buildSensorRender,
  deliverTo,
  githubTime,
  sensorWithoutTrustFilters,
} from '../fixtures/github/sensor-render.js';

const file = operatorForFile('e2e-trust', { prepare: buildSensorRender });
const HOME = { repository: 'Codertocat.Hello-World' };

/** A delivery as GitHub sends it now: an event older than its workflow would rightly be ignored. */
function fresh<T extends { pull_request: { created_at: string; updated_at: string } }>(payload: T): T {
  payload.pull_request.created_at = githubTime();
  payload.pull_request.updated_at = githubTime();
  return payload;
}

function freshApproval(login: string, association: 'MEMBER' | 'NONE', branch: string) {
  const payload = withHeadRef(approvalBy(login, association), branch);
  payload.review.submitted_at = githubTime();
  return payload;
}

const deliver = (event: string, payload: unknown, sensor?: string) =>
  deliverTo(file.namespace, event, payload, sensor);

/** Moves a play workflow to its approval stage with explicit requests. */
async function toApproval(name: string, taskId: string): Promise<void> {
  for (const [eventType, node] of [
    ['pr-created', 'wait-pr-created'],
    ['pr-labeled-ready', 'wait-ready-for-qa'],
  ] as const) {
    await waitForSuspendAt(file.namespace, name, node);
    await createResumeRequest(file.namespace, `${name}-${eventType}`, { taskId, eventType });
    await waitForPhase(file.namespace, `${name}-${eventType}`, 'Succeeded');
  }
  await waitForSuspendAt(file.namespace, name, 'wait-pr-approved');
}

async function nodePhase(workflow: string, node: string): Promise<string | undefined> {
  return nodeByDisplayName(await getWorkflow(file.namespace, workflow), node)?.phase;
}

describe('trusting GitHub only as far as the repository does', () => {
  it('an outsider’s approval advances nothing; a member’s approval does', async () => {
    await createWorkflow(file.namespace, playWorkflow('trust-approve', { 'task-id': '601', ...HOME }));
    await toApproval('trust-approve', '601');

    // The Sensor's first line: the delivery creates nothing.
    expect(
      await deliver('pull_request_review', freshApproval('mallory', 'NONE', 'task-601-x')),
    ).toBeUndefined();
    // Without that filter, the operator refuses it, saying who and why.
    const outsider = await deliver(
      'pull_request_review',
      freshApproval('mallory', 'NONE', 'task-601-x'),
      sensorWithoutTrustFilters(),
    );
    const refused = await waitForPhase(file.namespace, outsider!, 'Ignored');
    expect(refused.status).toMatchObject({ reason: 'UntrustedApprover', taskId: '601' });
    expect(refused.status?.message).toContain('reviewer mallory');
    expect(refused.status?.message).toContain('author_association is NONE');
    expect(await nodePhase('trust-approve', 'wait-pr-approved')).toBe('Running');

    const member = await deliver('pull_request_review', freshApproval('mona', 'MEMBER', 'task-601-x'));
    expect((await waitForPhase(file.namespace, member!, 'Succeeded')).status?.reason).toBe('Resumed');
    await waitForWorkflowPhase(file.namespace, 'trust-approve', 'Succeeded');

    // kubectl get rr -o wide answers who acted, on which repository and pull request.
    const wide = await kubectlOk([
      '-n',
      file.namespace,
      'get',
      'rr',
      outsider!,
      '-o',
      'wide',
      '--no-headers',
    ]);
    expect(wide.split(/\s+/)).toEqual(
      expect.arrayContaining([
        '601',
        'pr-approved',
        'Ignored',
        'UntrustedApprover',
        'Codertocat/Hello-World',
        'mallory',
      ]),
    );
  });

  it('an outsider’s pull request from a fork advances nothing', async () => {
    await createWorkflow(file.namespace, playWorkflow('trust-fork', { 'task-id': '602', ...HOME }));
    await waitForSuspendAt(file.namespace, 'trust-fork', 'wait-pr-created');
    const fork = () => fresh(withHeadRef(openedFromFork('octocat'), 'task-602-x'));

    expect(await deliver('pull_request', fork())).toBeUndefined();
    const name = await deliver('pull_request', fork(), sensorWithoutTrustFilters());
    const refused = await waitForPhase(file.namespace, name!, 'Ignored');
    expect(refused.status?.reason).toBe('ForkPullRequest');
    expect(refused.status?.message).toContain('octocat/Hello-World, not Codertocat/Hello-World');
    expect(await nodePhase('trust-fork', 'wait-pr-created')).toBe('Running');
  });

  it('an event from a second repository does not advance a workflow bound to the first: it waits for its own', async () => {
    await createWorkflow(file.namespace, playWorkflow('trust-repo', { 'task-id': '603', ...HOME }));
    await waitForSuspendAt(file.namespace, 'trust-repo', 'wait-pr-created');
    const name = await deliver(
      'pull_request',
      fresh(withHeadRef(inRepository(opened(), 'other-org/Hello-World'), 'task-603-x')),
    );
    const waiting = await waitForPhase(file.namespace, name!, 'Waiting');
    expect(waiting.status?.reason).toBe('RepositoryMismatch');
    expect(waiting.status?.message).toContain('the event is from other-org/Hello-World');
    expect(await nodePhase('trust-repo', 'wait-pr-created')).toBe('Running');

    // The task id is shared: the other repository's play is created after its event, which is
    // not lost but resumes it; the first repository's play still waits for its own.
    await createWorkflow(
      file.namespace,
      playWorkflow('trust-repo-other', { 'task-id': '603', repository: 'other-org.Hello-World' }),
    );
    const resumed = await waitForPhase(file.namespace, name!, 'Succeeded');
    expect(resumed.status).toMatchObject({ reason: 'Resumed', workflowName: 'trust-repo-other' });
    expect(await nodePhase('trust-repo', 'wait-pr-created')).toBe('Running');
  });

  it('a two-of-two approval gate opens on the second distinct reviewer, not on a repeated one, across a restart', async () => {
    const workflow = playWorkflow('trust-gate', { 'task-id': '604', ...HOME });
    workflow.metadata.annotations = { 'resume.workflows.dev/required-approvals': '2' };
    await createWorkflow(file.namespace, workflow);
    await toApproval('trust-gate', '604');

    const first = await deliver('pull_request_review', freshApproval('alice', 'MEMBER', 'task-604-x'));
    const waiting = await waitForPhase(file.namespace, first!, 'Waiting');
    expect(waiting.status?.reason).toBe('ApprovalsPending');
    expect(waiting.status?.message).toMatch(/^1 of 2 approvals .*\(alice\)/);

    // Alice approving again is still one reviewer.
    const again = await deliver('pull_request_review', freshApproval('alice', 'MEMBER', 'task-604-x'));
    expect((await waitForPhase(file.namespace, again!, 'Waiting')).status?.message).toMatch(/^1 of 2 /);
    expect(await nodePhase('trust-gate', 'wait-pr-approved')).toBe('Running');

    // The count lives in the API: a new operator process picks it up where the old one left it.
    await file.operator.stop();
    file.operator = await startOperator(`e2e-trust-again-${file.namespace}`, file.namespace);
    await waitUntilLeading(file.operator);

    const second = await deliver('pull_request_review', freshApproval('bob', 'MEMBER', 'task-604-x'));
    const resumed = await waitForPhase(file.namespace, second!, 'Succeeded');
    expect(resumed.status?.message).toContain('approved by alice, bob (2 of 2)');
    await waitForWorkflowPhase(file.namespace, 'trust-gate', 'Succeeded');
    // Alice's latest approval is the one the gate counted; the earlier one says so.
    const counted = await waitForPhase(file.namespace, again!, 'Succeeded');
    expect(counted.status?.reason).toBe('ApprovalCounted');
    expect(counted.status?.message).toContain(`ResumeRequest ${file.namespace}/${second!} opened its gate`);
    const earlier = await waitForPhase(file.namespace, first!, 'Ignored');
    expect(earlier.status?.reason).toBe('AlreadyResumed');
    expect(earlier.status?.message).toContain(
      `alice's approval was counted through ResumeRequest ${file.namespace}/${again!}`,
    );
  });

  it('a second event for a stage the newest run has passed leaves the older run waiting', async () => {
    await createWorkflow(file.namespace, playWorkflow('trust-run-old', { 'task-id': '605', ...HOME }));
    await waitForSuspendAt(file.namespace, 'trust-run-old', 'wait-pr-created');
    // Creation timestamps have one-second resolution.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await createWorkflow(file.namespace, playWorkflow('trust-run-new', { 'task-id': '605', ...HOME }));
    await waitForSuspendAt(file.namespace, 'trust-run-new', 'wait-pr-created');

    const first = await deliver('pull_request', fresh(withHeadRef(opened(), 'task-605-x')));
    expect((await waitForPhase(file.namespace, first!, 'Succeeded')).status?.workflowName).toBe(
      'trust-run-new',
    );
    await waitForSuspendAt(file.namespace, 'trust-run-new', 'wait-ready-for-qa');

    const second = await deliver('pull_request', fresh(withHeadRef(opened(), 'task-605-x')));
    const ignored = await waitForPhase(file.namespace, second!, 'Ignored');
    expect(ignored.status).toMatchObject({ reason: 'NotNewestRun', workflowName: 'trust-run-new' });
    expect(ignored.status?.message).toContain('trust-run-old is an older run');
    expect(await nodePhase('trust-run-old', 'wait-pr-created')).toBe('Running');
    expect((await getResumeRequest(file.namespace, first!))?.status?.phase).toBe('Succeeded');
  });
});
