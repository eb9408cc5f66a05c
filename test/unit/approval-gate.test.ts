// Approval gates on real review payloads, counted as GitHub counts: approvals below N wait and
// say how many of N, the Nth reviewer account resumes and records whom it counted, each account's
// latest review decides (a change request or a dismissal withdraws its approval, a rename or a
// second approval does not make a second reviewer), and what does not belong to this play (another
// task, pull request, run or visit, an outsider, a fork) is not counted.
import type { PullRequestReviewSubmittedEvent } from '@octokit/webhooks-types';
import {
  approvalsRecord,
  MAX_RECORDED_APPROVALS,
  recordedApprovals,
} from '../../src/domain/approval-gate.js';
import { defaultDomainConfig, type DomainConfig } from '../../src/domain/config.js';
import { resolveRequest } from '../../src/domain/correlate.js';
import { decide, type Decision } from '../../src/domain/decide.js';
import { isOutcome } from '../../src/domain/outcome.js';
import { Reason } from '../../src/domain/reasons.js';
import type { ResumeRequest } from '../../src/api/resume-request.js';
import type { Workflow } from '../../src/api/workflow.js';
import { approvalBy, dismissalOf, fromFork, reviewBy } from '../fixtures/github/payloads.js';
import { requestFromWebhook, reviewFrom, withHeadRef } from '../fixtures/github-requests.js';
import { nodeAt, playWorkflow, suspendNode } from '../fixtures/play-workflows.js';

const created = '2019-05-15T15:21:00Z';
const now = new Date('2019-05-15T15:22:00Z');
const GATE = 'resume.workflows.dev/required-approvals';
const RECORD = 'resume.workflows.dev/waiting-pr-approved.approvals';
const MARKER = 'resume.workflows.dev/waiting-pr-approved';
const PULL_REQUEST = 'resume.workflows.dev/pull-request';

let deliveries = 0;
type Association = 'OWNER' | 'MEMBER' | 'NONE';
type Review = PullRequestReviewSubmittedEvent;

/** The request the Sensor creates for a review payload, optionally with its status so far. */
function requestOf(
  payload: Review | ReturnType<typeof dismissalOf>,
  options: { branch?: string; submittedAt?: string; status?: ResumeRequest['status'] } = {},
): ResumeRequest {
  withHeadRef(payload, options.branch ?? 'task-42');
  if (options.submittedAt) payload.review.submitted_at = options.submittedAt;
  const deliveryId = `0000000${deliveries++}-aaaa-4000-8000-000000000000`;
  const request = requestFromWebhook(
    { event: 'pull_request_review', payload },
    { createdAt: created, deliveryId, name: `gh-${payload.review.user!.login.toLowerCase()}-${deliveries}` },
  );
  return options.status ? { ...request, status: options.status } : request;
}

const approval = (
  login: string,
  association: Association = 'MEMBER',
  options: Parameters<typeof requestOf>[1] = {},
) => requestOf(approvalBy(login, association), options);

const gated = (
  required: string,
  where: 'annotations' | 'labels' = 'annotations',
  extra: Record<string, string> = {},
) =>
  playWorkflow({
    at: 2,
    ...(where === 'annotations'
      ? { annotations: { [GATE]: required, ...extra } }
      : { labels: { [GATE]: required }, annotations: extra }),
  });

function decideFor(
  request: ResumeRequest,
  workflows: Workflow[],
  others: ResumeRequest[] = [],
  { at = now, config = defaultDomainConfig }: { at?: Date; config?: DomainConfig } = {},
): Decision {
  const resolved = resolveRequest(request, config);
  if (isOutcome(resolved)) throw new Error(`request did not resolve: ${resolved.message}`);
  const reviews = others.map((other) => reviewFrom(other, config));
  return decide({ request, resolved, workflows, now: at, config, reviews });
}

const recordOf = (decision: Decision) =>
  decision.action === 'resume' ? JSON.parse(decision.annotations![RECORD]!) : undefined;

describe('a workflow that requires two approvals', () => {
  it('waits after the first, saying how many of how many and who, as long as the workflow waits', () => {
    expect(decideFor(approval('alice'), [gated('2')])).toEqual({
      action: 'wait',
      reason: Reason.ApprovalsPending,
      message:
        '1 of 2 approvals for workflow play-42-abcde at waiting-pr-approved (alice); ' +
        'waiting for 1 more reviewer account(s) to approve',
      deadline: new Date(now.getTime() + 1800 * 1000),
      workflowName: 'play-42-abcde',
    });
    const muchLater = new Date(Date.parse(created) + 7 * 24 * 3600 * 1000);
    expect(decideFor(approval('alice'), [gated('2')], [], { at: muchLater })).toMatchObject({
      action: 'wait',
      reason: Reason.ApprovalsPending,
    });
  });

  it('resumes on the second account’s approval, naming both and recording whom it counted', () => {
    const alice = approval('alice');
    const bob = approval('bob');
    const decision = decideFor(bob, [gated('2')], [alice]);
    expect(decision).toMatchObject({
      action: 'resume',
      workflowName: 'play-42-abcde',
      message:
        'resuming wait-pr-approved of workflow play-42-abcde for pr-approved; approved by alice, bob (2 of 2)',
    });
    expect(recordOf(decision)).toEqual({
      node: nodeAt(gated('2'), 2).id,
      resumedBy: `ci/${bob.metadata.name}/${bob.metadata.uid}`,
      required: 2,
      approvers: [
        { request: alice.metadata.name, id: reviewFrom(alice).accountId, login: 'alice' },
        { request: bob.metadata.name, id: reviewFrom(bob).accountId, login: 'bob' },
      ],
    });
  });

  it('counts an account once when its login was renamed between two approvals, or it approved twice', () => {
    const before = requestOf(approvalBy('alice', 'MEMBER', 4242), { submittedAt: '2019-05-15T15:20:00Z' });
    const after = requestOf(approvalBy('alice-renamed', 'MEMBER', 4242), {
      submittedAt: '2019-05-15T15:20:30Z',
    });
    for (const [own, other] of [
      [after, before],
      [before, after],
    ] as const) {
      // Both stand (either carries the account's approval should the other be deleted), counted once.
      expect(decideFor(own, [gated('2')], [other])).toMatchObject({
        action: 'wait',
        message: expect.stringMatching(/^1 of 2 approvals .*\(alice-renamed\)/),
      });
    }
  });

  // Another task's reviews are in another group of the index (test/unit/wake-ups.test.ts).
  it('does not count an outsider, a fork, an earlier run, another pull request or an earlier visit', () => {
    const fork = requestOf(fromFork(approvalBy('frank', 'MEMBER') as never, 'frank') as unknown as Review);
    const otherPr = approvalBy('grace', 'MEMBER');
    otherPr.pull_request.number = 99;
    const others = [
      approval('mallory', 'NONE'),
      fork,
      approval('dave', 'MEMBER', { submittedAt: '2019-05-01T08:00:00Z' }),
      requestOf(otherPr),
    ];
    const bound = gated('2', 'annotations', {
      [PULL_REQUEST]: '{"repository":"Codertocat/Hello-World","number":2,"base":"master"}',
    });
    expect(decideFor(approval('bob'), [bound], others)).toMatchObject({
      action: 'wait',
      message: expect.stringMatching(/^1 of 2 approvals .*\(bob\)/),
    });
    // A stage entered again counts only approvals after its previous visit ended.
    const looped = gated('2');
    const earlier = { ...suspendNode('play-42-abcde', 2, 'Succeeded'), id: 'first-visit' };
    earlier.startedAt = '2019-05-15T15:00:00Z';
    earlier.finishedAt = '2019-05-15T15:20:50Z';
    looped.status!.nodes!['first-visit'] = earlier;
    nodeAt(looped, 2).startedAt = '2019-05-15T15:21:10Z';
    const early = approval('erin', 'MEMBER', { submittedAt: '2019-05-15T15:20:00Z' });
    const bob = approval('bob', 'MEMBER', { submittedAt: '2019-05-15T15:21:30Z' });
    expect(decideFor(bob, [looped], [early])).toMatchObject({
      action: 'wait',
      message: expect.stringMatching(/^1 of 2 approvals .*\(bob\)/),
    });
  });

  it('counts approvals that name no pull request by their repository, while the play records none', () => {
    const withoutNumber = (request: ResumeRequest) => {
      delete request.spec.prNumber;
      return request;
    };
    const labelled = gated('2');
    labelled.metadata.labels!.repository = 'codertocat.hello-world';
    const alice = withoutNumber(approval('alice'));
    expect(decideFor(withoutNumber(approval('bob')), [labelled], [alice])).toMatchObject({
      action: 'resume',
      message: expect.stringContaining('approved by alice, bob (2 of 2)'),
    });
    alice.spec.repository = 'other-org/Hello-World';
    expect(decideFor(withoutNumber(approval('bob')), [labelled], [alice])).toMatchObject({ action: 'wait' });
  });

  it('does not count the request being decided twice when the index lists it too', () => {
    const own = approval('alice');
    expect(decideFor(own, [gated('2')], [own])).toMatchObject({ action: 'wait' });
  });

  it('reads the number from a label as well as from an annotation', () => {
    expect(decideFor(approval('alice'), [gated('3', 'labels')])).toMatchObject({
      action: 'wait',
      message: expect.stringMatching(/^1 of 3 /),
    });
  });
});

describe('each reviewer’s latest review decides', () => {
  it('a change request withdraws the reviewer’s earlier approval, which settles as superseded', () => {
    const approved = approval('alice', 'MEMBER', { submittedAt: '2019-05-15T15:10:00Z' });
    const changes = requestOf(reviewBy('alice', 'changes_requested'), {
      submittedAt: '2019-05-15T15:15:00Z',
    });
    expect(decideFor(approval('bob'), [gated('2')], [approved, changes])).toMatchObject({
      action: 'wait',
      message: expect.stringMatching(/^1 of 2 approvals .*\(bob\)/),
    });
    expect(decideFor(approved, [gated('2')], [changes])).toEqual({
      action: 'complete',
      phase: 'Ignored',
      reason: Reason.ReviewSuperseded,
      message: `alice (account ${reviewFrom(approved).accountId}) withdrew the approval in a later review (ResumeRequest ci/${changes.metadata.name}); each reviewer’s latest review decides, and that request carries it`,
    });
    // A change request followed by an approval: the approval decides.
    const again = approval('alice', 'MEMBER', { submittedAt: '2019-05-15T15:18:00Z' });
    expect(decideFor(changes, [gated('2')], [approved, again])).toMatchObject({
      reason: Reason.ReviewSuperseded,
      message: expect.stringContaining('alice (account '),
    });
    // The change request waits as the reviewer's latest review, resuming nothing.
    expect(decideFor(changes, [gated('1')], [approved])).toEqual({
      action: 'wait',
      reason: Reason.ApprovalWithdrawn,
      message:
        `the latest review of alice (account ${reviewFrom(changes).accountId}) requests changes: no approval of theirs ` +
        'counts for workflow play-42-abcde at waiting-pr-approved until they approve again; kept while the workflow is at or before the stage',
      deadline: new Date(now.getTime() + 1800 * 1000),
      workflowName: 'play-42-abcde',
    });
  });

  it('an approval delivered after a later change request never counts', () => {
    const changes = requestOf(reviewBy('alice', 'changes_requested'), {
      submittedAt: '2019-05-15T15:15:00Z',
    });
    const lateApproval = approval('alice', 'MEMBER', { submittedAt: '2019-05-15T15:10:00Z' });
    expect(decideFor(lateApproval, [gated('1')], [changes])).toMatchObject({
      action: 'complete',
      reason: Reason.ReviewSuperseded,
    });
  });

  it('a dismissal withdraws the review it dismisses, not a later approval', () => {
    const first = approvalBy('alice', 'MEMBER');
    first.review.submitted_at = '2019-05-15T15:10:00Z';
    const approved = requestOf(first);
    const dismissed = requestOf(dismissalOf(first, 'maintainer'));
    expect(reviewFrom(dismissed)).toMatchObject({ login: 'alice', verdict: 'retract' });
    expect(decideFor(approval('bob'), [gated('2')], [approved, dismissed])).toMatchObject({ action: 'wait' });
    expect(decideFor(approved, [gated('2')], [dismissed])).toMatchObject({ reason: Reason.ReviewSuperseded });
    const again = approval('alice', 'MEMBER', { submittedAt: '2019-05-15T15:20:00Z' });
    expect(decideFor(approval('bob'), [gated('2')], [approved, dismissed, again])).toMatchObject({
      action: 'resume',
      message: expect.stringContaining('approved by alice, bob (2 of 2)'),
    });
  });
});

describe('once the stage has moved on', () => {
  /** Resumed, a minute after the approvals were submitted, with what the resume recorded. */
  const passedWith = (record: object | undefined, marker = 'ci/gh-bob-9/u9') => {
    const workflow = playWorkflow({ at: 3, annotations: { [GATE]: '2', [MARKER]: marker } });
    nodeAt(workflow, 2).finishedAt = '2019-05-15T15:21:38Z';
    if (record) workflow.metadata.annotations![RECORD] = JSON.stringify(record);
    return workflow;
  };

  it('an approval the gate counted settles as counted, naming who opened the gate', () => {
    const alice = approval('alice');
    const workflow = passedWith({
      node: 'play-42-abcde-1002',
      resumedBy: 'ci/gh-bob-9/u9',
      required: 2,
      approvers: [
        { request: alice.metadata.name, id: reviewFrom(alice).accountId, login: 'alice' },
        { request: 'gh-bob-9', id: 2, login: 'bob' },
      ],
    });
    expect(decideFor(alice, [workflow])).toEqual({
      action: 'complete',
      phase: 'Succeeded',
      reason: Reason.ApprovalCounted,
      message:
        'workflow play-42-abcde passed waiting-pr-approved: ResumeRequest ci/gh-bob-9 opened its gate with ' +
        '2 of 2 approvals (alice, bob), this one among them',
      workflowName: 'play-42-abcde',
      resumedNode: 'wait-pr-approved',
    });
    // The same after the workflow has completed.
    workflow.status!.phase = 'Succeeded';
    expect(decideFor(alice, [workflow])).toMatchObject({ reason: Reason.ApprovalCounted });
  });

  it('an approval the gate did not count (opened by an explicit resume, or before it came) does not claim it was', () => {
    const alice = approval('alice', 'MEMBER', {
      status: { phase: 'Waiting', reason: Reason.ApprovalsPending },
    });
    expect(decideFor(alice, [passedWith(undefined, 'ci/manual/u1')])).toEqual({
      action: 'complete',
      phase: 'Ignored',
      reason: Reason.AlreadyResumed,
      message:
        'workflow play-42-abcde is past waiting-pr-approved: its node wait-pr-approved has already succeeded ' +
        '(resumed by ResumeRequest ci/manual)',
      workflowName: 'play-42-abcde',
      resumedNode: 'wait-pr-approved',
    });
    const withoutAlice = passedWith({
      node: 'play-42-abcde-1002',
      resumedBy: 'ci/gh-bob-9/u9',
      required: 2,
      approvers: [{ request: 'gh-bob-9', id: 2, login: 'bob' }],
    });
    expect(decideFor(alice, [withoutAlice])).toMatchObject({ reason: Reason.AlreadyResumed });
    const withAlice = {
      node: 'play-42-abcde-1002',
      resumedBy: 'ci/gh-bob-9/u9',
      required: 2,
      approvers: [{ request: alice.metadata.name, id: reviewFrom(alice).accountId, login: 'alice' }],
    };
    // A record of an earlier visit of the stage (another node) counts for nothing now.
    expect(decideFor(alice, [passedWith({ ...withAlice, node: 'an-earlier-visit' })])).toMatchObject({
      reason: Reason.AlreadyResumed,
    });
    // Another approval of a counted reviewer (a redelivery, a second approval) was not the one
    // counted, and says which was.
    const again = approval('alice');
    expect(decideFor(again, [passedWith(withAlice)])).toEqual({
      action: 'complete',
      phase: 'Ignored',
      reason: Reason.AlreadyResumed,
      message:
        'workflow play-42-abcde is past waiting-pr-approved: its node wait-pr-approved has already succeeded ' +
        `(resumed by ResumeRequest ci/gh-bob-9); alice's approval was counted through ResumeRequest ci/${alice.metadata.name}`,
      workflowName: 'play-42-abcde',
      resumedNode: 'wait-pr-approved',
    });
  });

  it('reads back the largest record it writes: the most approvals it keeps, each with the longest names', () => {
    const workflow = playWorkflow({ at: 3, annotations: { [GATE]: '20' } });
    const approvers = Array.from({ length: MAX_RECORDED_APPROVALS + 1 }, (_, n) => ({
      request: `ci/${String(n).padStart(253, 'r')}`,
      account: `id:${999_999_999_999_999 - n}`,
      accountId: 999_999_999_999_999 - n,
      login: `${String(n).padStart(59, 'l')}[bot]`,
    }));
    const resumedBy = `ci/${'m'.repeat(253)}/0b6d3a1e-0000-4000-8000-000000000001`;
    workflow.metadata.annotations![RECORD] = approvalsRecord(nodeAt(workflow, 2), resumedBy, 20, approvers);
    const record = recordedApprovals(workflow, 'waiting-pr-approved', defaultDomainConfig);
    expect(record?.approvers).toHaveLength(MAX_RECORDED_APPROVALS);
    expect(record?.approvers[0]).toEqual({
      request: approvers[0]!.request.slice('ci/'.length),
      id: approvers[0]!.accountId,
      login: approvers[0]!.login,
    });
  });

  it('two approvals that open the gate together both count: the one whose write lost is counted too', () => {
    const alice = approval('alice');
    const bob = approval('bob');
    const opened = decideFor(alice, [gated('2')], [bob]);
    const record = recordOf(opened);
    expect(record.approvers.map((a: { login: string }) => a.login)).toEqual(['alice', 'bob']);
    const passed = passedWith(record, record.resumedBy);
    expect(decideFor(bob, [passed], [alice])).toMatchObject({ reason: Reason.ApprovalCounted });
  });
});

describe('an explicit resume and the required-approvals value', () => {
  it('an explicit resume (no GitHub facts) goes through without counting', () => {
    const manual: ResumeRequest = {
      apiVersion: 'resume.workflows.dev/v1alpha1',
      kind: 'ResumeRequest',
      metadata: { name: 'manual', namespace: 'ci', creationTimestamp: created },
      spec: { taskId: '42', eventType: 'pr-approved' },
    };
    const decision = decideFor(manual, [gated('2')]);
    expect(decision).toMatchObject({ action: 'resume' });
    expect(decision).not.toHaveProperty('annotations');
  });

  it('of 1 is the ungated default, and still records whom it counted', () => {
    const decision = decideFor(approval('alice'), [gated('1')], [approval('bob')]);
    expect(decision).toMatchObject({
      action: 'resume',
      message: 'resuming wait-pr-approved of workflow play-42-abcde for pr-approved',
    });
    expect(recordOf(decision).approvers.map((a: { login: string }) => a.login)).toEqual(['alice', 'bob']);
  });

  it.each(['0', '21', 'two', '-1', '1.5', ''])(
    '%j fails the request, naming the workflow and value',
    (value) => {
      expect(decideFor(approval('alice'), [gated(value)])).toEqual({
        action: 'complete',
        phase: 'Failed',
        reason: Reason.InvalidApprovalGate,
        message: `workflow play-42-abcde has ${GATE}=${JSON.stringify(value)}, which must be a whole number from 1 to 20`,
        workflowName: 'play-42-abcde',
      });
    },
  );
});
