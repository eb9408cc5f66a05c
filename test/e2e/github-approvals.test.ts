// End to end, through the Argo Events Sensor of config/argo-events (hack/sensor-render) and the
// operator under its shipped RBAC, on the real Argo controller: an approval means what GitHub
// means by it. The play records its own pull request when that is opened and hears no other; a
// fork's approval advances nothing; reviewers are accounts, each one's latest review deciding (a
// change request and a dismissal withdraw an approval, a renamed login is the same reviewer); an
// approval that comes early waits past the wait timeout while the play is before the approval
// stage; two approvals that open a gate together both count, and a gate opened by an explicit
// resume counts none.
import type { PullRequestReviewSubmittedEvent } from '@octokit/webhooks-types';
import { operatorForFile, operatorWithDomainConfig } from '../support/operator.js';
import { kubectlOk } from '../support/plane.js';
import { createResumeRequest, getResumeRequest, waitForPhase } from '../support/resume-requests.js';
import {
  createWorkflow,
  getWorkflow,
  nodeByDisplayName,
  playWorkflow,
  waitForSuspendAt,
  waitForWorkflowPhase,
} from '../support/workflows.js';
import { dismissalOf, labeledWith, opened, reviewBy } from '../fixtures/github/payloads.js';
import { withHeadRef, withLabels } from '../fixtures/github-requests.js';
import {
  buildSensorRender,
  deliverTo,
  githubTime,
  sensorWithoutTrustFilters,
} from '../fixtures/github/sensor-render.js';

const file = operatorForFile('e2e-approvals', { prepare: buildSensorRender });
const HOME = { repository: 'Codertocat.Hello-World' };
const GATE = 'resume.workflows.dev/required-approvals';
const PLAY_PR = 2;

type PullRequestPayload = { pull_request: { number: number; created_at: string; updated_at: string } };

/** The event of pull request `number` (the play's own by default), happening now. */
function now<T extends PullRequestPayload>(payload: T, number = PLAY_PR): T {
  payload.pull_request.number = number;
  payload.pull_request.created_at = githubTime();
  payload.pull_request.updated_at = githubTime();
  return payload;
}

/** A review by `login` (account `id`, by default its own) of the task's branch, submitted now. */
function review(
  login: string,
  state: PullRequestReviewSubmittedEvent['review']['state'],
  branch: string,
  { id, number }: { id?: number; number?: number } = {},
): PullRequestReviewSubmittedEvent {
  const payload = now(withHeadRef(reviewBy(login, state, 'MEMBER', id), branch), number);
  payload.review.submitted_at = githubTime();
  return payload;
}

/** Runs the delivery through a Sensor and creates what it produces; the request's name. */
async function deliver(namespace: string, event: string, payload: unknown, sensor?: string): Promise<string> {
  const name = await deliverTo(namespace, event, payload, sensor);
  if (name === undefined) throw new Error(`the Sensor filtered out a ${event} delivery`);
  return name;
}

/** Takes a play from its start to its approval stage with its own pull request's events. */
async function toApproval(namespace: string, workflow: string, branch: string): Promise<void> {
  await waitForSuspendAt(namespace, workflow, 'wait-pr-created');
  const created = await deliver(namespace, 'pull_request', now(withHeadRef(opened(), branch)));
  await waitForPhase(namespace, created, 'Succeeded');
  await waitForSuspendAt(namespace, workflow, 'wait-ready-for-qa');
  const ready = withLabels(withHeadRef(labeledWith('ready-for-qa'), branch), ['ready-for-qa']);
  await waitForPhase(namespace, await deliver(namespace, 'pull_request', now(ready)), 'Succeeded');
  await waitForSuspendAt(namespace, workflow, 'wait-pr-approved');
}

async function nodePhase(namespace: string, workflow: string, node: string): Promise<string | undefined> {
  return nodeByDisplayName(await getWorkflow(namespace, workflow), node)?.phase;
}

const statusOf = async (namespace: string, name: string) => (await getResumeRequest(namespace, name))?.status;

describe('approvals bound to the play’s own pull request', () => {
  it('records the pull request when it is opened; a side pull request naming the task, or a fork, advances nothing', async () => {
    const ns = file.namespace;
    await createWorkflow(ns, playWorkflow('bound', { 'task-id': '701', ...HOME }));
    await toApproval(ns, 'bound', 'task-701-x');
    const recorded = (await getWorkflow(ns, 'bound')).metadata.annotations?.[
      'resume.workflows.dev/pull-request'
    ];
    expect(JSON.parse(recorded!)).toEqual({
      repository: 'Codertocat/Hello-World',
      number: PLAY_PR,
      base: 'master',
    });

    // Another pull request of the repository whose branch names the task: a member approves it.
    const side = await deliver(
      ns,
      'pull_request_review',
      review('mona', 'approved', 'task-701-y', { number: 77 }),
    );
    const refused = await waitForPhase(ns, side, 'Ignored');
    expect(refused.status?.reason).toBe('OtherPullRequest');
    expect(refused.status?.message).toContain('the event is about Codertocat/Hello-World#77 (base master)');
    expect(refused.status?.message).toContain(
      'is the play of pull request Codertocat/Hello-World#2 (base master)',
    );

    // A fork's pull request, its branch named after the task: the Sensor drops the approval, and
    // without that filter the operator refuses it.
    const fromFork = () => {
      const payload = review('mona', 'approved', 'task-701-x');
      payload.pull_request.head.repo = {
        ...payload.pull_request.head.repo!,
        full_name: 'octocat/Hello-World',
        fork: true,
      };
      return payload;
    };
    expect(await deliverTo(ns, 'pull_request_review', fromFork())).toBeUndefined();
    const fork = await deliver(ns, 'pull_request_review', fromFork(), sensorWithoutTrustFilters());
    expect((await waitForPhase(ns, fork, 'Ignored')).status?.reason).toBe('ForkPullRequest');
    expect(await nodePhase(ns, 'bound', 'wait-pr-approved')).toBe('Running');

    const own = await deliver(ns, 'pull_request_review', review('mona', 'approved', 'task-701-x'));
    expect((await waitForPhase(ns, own, 'Succeeded')).status?.reason).toBe('Resumed');
    await waitForWorkflowPhase(ns, 'bound', 'Succeeded');
  });
});

describe('each reviewer’s latest review decides, reviewers being accounts', () => {
  it('a change request and a dismissal withdraw an approval; a renamed login approves as the same account', async () => {
    const ns = file.namespace;
    const workflow = playWorkflow('latest', { 'task-id': '702', ...HOME });
    workflow.metadata.annotations = { [GATE]: '2' };
    await createWorkflow(ns, workflow);
    const branch = 'task-702-x';
    await toApproval(ns, 'latest', branch);
    const alice = 9_100_001;

    const aliceApproves = await deliver(
      ns,
      'pull_request_review',
      review('alice', 'approved', branch, { id: alice }),
    );
    expect((await waitForPhase(ns, aliceApproves, 'Waiting')).status?.message).toMatch(
      /^1 of 2 approvals .*\(alice\)/,
    );
    const aliceChanges = await deliver(
      ns,
      'pull_request_review',
      review('alice', 'changes_requested', branch, { id: alice }),
    );
    expect((await waitForPhase(ns, aliceChanges, 'Waiting')).status?.reason).toBe('ApprovalWithdrawn');
    expect((await waitForPhase(ns, aliceApproves, 'Ignored')).status?.reason).toBe('ReviewSuperseded');

    // Bob's approval is dismissed by a maintainer: GitHub sends his review, marked dismissed.
    const bobsReview = review('bob', 'approved', branch);
    const bobApproves = await deliver(ns, 'pull_request_review', bobsReview);
    expect((await waitForPhase(ns, bobApproves, 'Waiting')).status?.message).toMatch(
      /^1 of 2 approvals .*\(bob\)/,
    );
    const dismissed = await deliver(ns, 'pull_request_review', dismissalOf(bobsReview, 'a-maintainer'));
    expect((await waitForPhase(ns, bobApproves, 'Ignored')).status?.reason).toBe('ReviewSuperseded');
    expect((await waitForPhase(ns, dismissed, 'Waiting')).status?.reason).toBe('ApprovalWithdrawn');

    const carol = await deliver(ns, 'pull_request_review', review('carol', 'approved', branch));
    expect((await waitForPhase(ns, carol, 'Waiting')).status?.message).toMatch(
      /^1 of 2 approvals .*\(carol\)/,
    );
    expect(await nodePhase(ns, 'latest', 'wait-pr-approved')).toBe('Running');

    // Alice, renamed, approves again: one account, now approving; with Carol that is two.
    const renamed = await deliver(
      ns,
      'pull_request_review',
      review('alice-renamed', 'approved', branch, { id: alice }),
    );
    const opened = await waitForPhase(ns, renamed, 'Succeeded');
    expect(opened.status?.message).toContain('approved by carol, alice-renamed (2 of 2)');
    await waitForWorkflowPhase(ns, 'latest', 'Succeeded');
    // Superseded, or, when it is looked at only after the approval that supersedes it has
    // settled, past its stage: either way it withdraws nothing any more.
    expect(['ReviewSuperseded', 'AlreadyResumed']).toContain(
      (await waitForPhase(ns, aliceChanges, 'Ignored')).status?.reason,
    );
    const counted = await waitForPhase(ns, carol, 'Succeeded');
    expect(counted.status).toMatchObject({ reason: 'ApprovalCounted', workflowName: 'latest' });
    expect(counted.status?.message).toContain(`ResumeRequest ${ns}/${renamed} opened its gate`);
    expect((await waitForPhase(ns, dismissed, 'Ignored')).status?.reason).toBe('AlreadyResumed');
  });
});

describe('approvals that arrive early', () => {
  it('keep waiting past the wait timeout while the play is before the approval stage, then resume it', async () => {
    const { namespace: ns, operator } = await operatorWithDomainConfig('e2e-early', {
      waitTimeoutSeconds: 3,
    });
    try {
      await createWorkflow(ns, playWorkflow('early', { 'task-id': '703', ...HOME }));
      await waitForSuspendAt(ns, 'early', 'wait-pr-created');
      const branch = 'task-703-x';
      const approval = await deliver(ns, 'pull_request_review', review('mona', 'approved', branch));
      // An early label is held to the wait timeout: its failure shows the timeout has passed.
      const ready = withLabels(withHeadRef(labeledWith('ready-for-qa'), branch), ['ready-for-qa']);
      const label = await deliver(ns, 'pull_request', now(ready));
      const gaveUp = await waitForPhase(ns, label, 'Failed', 60_000);
      expect(gaveUp.status).toMatchObject({ reason: 'StageNotReached' });
      expect(gaveUp.status?.message).toMatch(/^gave up after 3s/);
      const early = await statusOf(ns, approval);
      expect(early).toMatchObject({ phase: 'Waiting', reason: 'StageNotReached' });
      expect(early?.message).toContain(
        'the approval waits as long as the workflow is at or before the stage',
      );

      const created = await deliver(ns, 'pull_request', now(withHeadRef(opened(), branch)));
      await waitForPhase(ns, created, 'Succeeded');
      await waitForSuspendAt(ns, 'early', 'wait-ready-for-qa');
      await createResumeRequest(ns, 'early-qa', { taskId: '703', eventType: 'pr-labeled-ready' });
      await waitForPhase(ns, 'early-qa', 'Succeeded');
      const resumed = await waitForPhase(ns, approval, 'Succeeded');
      expect(resumed.status).toMatchObject({ reason: 'Resumed', workflowName: 'early' });
      await waitForWorkflowPhase(ns, 'early', 'Succeeded');
    } finally {
      await operator.stop();
    }
  });
});

describe('who opened a gate', () => {
  it('two approvals that open a gate together both count: one resumes, the other is counted', async () => {
    const ns = file.namespace;
    const workflow = playWorkflow('together', { 'task-id': '704', ...HOME });
    workflow.metadata.annotations = { [GATE]: '2' };
    await createWorkflow(ns, workflow);
    const branch = 'task-704-x';
    await toApproval(ns, 'together', branch);
    const [dave, erin] = await Promise.all([
      deliver(ns, 'pull_request_review', review('dave', 'approved', branch)),
      deliver(ns, 'pull_request_review', review('erin', 'approved', branch)),
    ]);
    const settled = await Promise.all([dave, erin].map((name) => waitForPhase(ns, name, 'Succeeded')));
    const reasons = settled.map((request) => request.status?.reason).sort();
    expect(reasons).toEqual(['ApprovalCounted', 'Resumed']);
    const opener = settled.find((request) => request.status?.reason === 'Resumed')!;
    const counted = settled.find((request) => request.status?.reason === 'ApprovalCounted')!;
    expect(counted.status?.message).toContain(
      `ResumeRequest ${ns}/${opener.metadata.name} opened its gate with 2 of 2`,
    );
    await waitForWorkflowPhase(ns, 'together', 'Succeeded');
  });

  it('a gate opened by an explicit resume counts none of the approvals that waited', async () => {
    const ns = file.namespace;
    const workflow = playWorkflow('bypassed', { 'task-id': '705', ...HOME });
    workflow.metadata.annotations = { [GATE]: '2' };
    await createWorkflow(ns, workflow);
    const branch = 'task-705-x';
    await toApproval(ns, 'bypassed', branch);
    const frank = await deliver(ns, 'pull_request_review', review('frank', 'approved', branch));
    await waitForPhase(ns, frank, 'Waiting');
    await createResumeRequest(ns, 'bypass', { taskId: '705', eventType: 'pr-approved' });
    expect((await waitForPhase(ns, 'bypass', 'Succeeded')).status?.reason).toBe('Resumed');
    const notCounted = await waitForPhase(ns, frank, 'Ignored');
    expect(notCounted.status?.reason).toBe('AlreadyResumed');
    expect(notCounted.status?.message).toContain(`(resumed by ResumeRequest ${ns}/bypass)`);
    // kubectl shows who resumed the stage: the marker names the explicit request, by its uid.
    const marker = await kubectlOk([
      '-n',
      ns,
      'get',
      'workflow',
      'bypassed',
      '-o',
      'jsonpath={.metadata.annotations.resume\\.workflows\\.dev/waiting-pr-approved}',
    ]);
    expect(marker).toBe(`${ns}/bypass/${(await getResumeRequest(ns, 'bypass'))!.metadata.uid}`);
  });
});
