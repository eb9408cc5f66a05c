// N-approval gates on real review payloads: approvals below N wait and say how many of N, the
// Nth distinct allowed reviewer resumes, a reviewer approving twice counts once, and what does
// not belong to this run (another task, an outsider, an earlier run, a refused request) is not
// counted.
import { defaultDomainConfig } from '../../src/domain/config.js';
import { resolveRequest } from '../../src/domain/correlate.js';
import { decide, type Decision } from '../../src/domain/decide.js';
import { isOutcome } from '../../src/domain/outcome.js';
import { Reason } from '../../src/domain/reasons.js';
import type { ResumeRequest } from '../../src/api/resume-request.js';
import type { Workflow } from '../../src/api/workflow.js';
import { approvalBy } from '../fixtures/github/payloads.js';
import { requestFromWebhook, withHeadRef } from '../fixtures/github-requests.js';
import { playWorkflow } from '../fixtures/play-workflows.js';

const created = '2019-05-15T15:21:00Z';
const now = new Date('2019-05-15T15:22:00Z');
const GATE = 'resume.workflows.dev/required-approvals';

let deliveries = 0;
/** An approval by `login` as the Sensor would create it, optionally with its status so far. */
function approval(
  login: string,
  association: 'OWNER' | 'MEMBER' | 'NONE' = 'MEMBER',
  options: { branch?: string; submittedAt?: string; status?: ResumeRequest['status'] } = {},
): ResumeRequest {
  const payload = withHeadRef(approvalBy(login, association), options.branch ?? 'task-42');
  if (options.submittedAt) payload.review.submitted_at = options.submittedAt;
  const deliveryId = `0000000${deliveries++}-aaaa-4000-8000-000000000000`;
  const request = requestFromWebhook(
    { event: 'pull_request_review', payload },
    { createdAt: created, deliveryId },
  );
  return options.status ? { ...request, status: options.status } : request;
}

const waitingApproval = (login: string, association: 'OWNER' | 'MEMBER' | 'NONE' = 'MEMBER') =>
  approval(login, association, {
    status: {
      phase: 'Waiting',
      reason: Reason.ApprovalsPending,
      taskId: '42',
      workflowName: 'play-42-abcde',
    },
  });

const gated = (required: string, where: 'annotations' | 'labels' = 'annotations') =>
  playWorkflow({
    at: 2,
    ...(where === 'annotations' ? { annotations: { [GATE]: required } } : { labels: { [GATE]: required } }),
  });

function decideFor(
  request: ResumeRequest,
  workflows: Workflow[],
  others: ResumeRequest[] = [],
  at: Date = now,
): Decision {
  const resolved = resolveRequest(request, defaultDomainConfig);
  if (isOutcome(resolved)) throw new Error(`request did not resolve: ${resolved.message}`);
  return decide({ request, resolved, workflows, now: at, config: defaultDomainConfig, others });
}

describe('a workflow that requires two approvals', () => {
  it('waits after the first, saying how many of how many and who', () => {
    expect(decideFor(approval('alice'), [gated('2')])).toEqual({
      action: 'wait',
      reason: Reason.ApprovalsPending,
      message:
        '1 of 2 approvals for workflow play-42-abcde at waiting-pr-approved (alice); ' +
        'waiting for 1 more distinct allowed reviewer(s)',
      deadline: new Date(now.getTime() + 1800 * 1000),
      workflowName: 'play-42-abcde',
    });
  });

  it('resumes on the second distinct reviewer’s approval, naming both', () => {
    expect(decideFor(approval('bob'), [gated('2')], [waitingApproval('alice')])).toMatchObject({
      action: 'resume',
      workflowName: 'play-42-abcde',
      message:
        'resuming wait-pr-approved of workflow play-42-abcde for pr-approved; approved by alice, bob (2 of 2)',
    });
  });

  it('counts a reviewer approving twice once, whatever the case of the login', () => {
    expect(decideFor(approval('Alice'), [gated('2')], [waitingApproval('alice')])).toMatchObject({
      action: 'wait',
      message: expect.stringMatching(/^1 of 2 approvals .*\(Alice\)/),
    });
  });

  it('does not count an outsider’s approval waiting beside it', () => {
    expect(decideFor(approval('bob'), [gated('2')], [waitingApproval('mallory', 'NONE')])).toMatchObject({
      action: 'wait',
      reason: Reason.ApprovalsPending,
    });
  });

  it('does not count approvals of another task, of an earlier run or already refused', () => {
    const others = [
      approval('carol', 'MEMBER', { branch: 'task-43' }),
      approval('dave', 'MEMBER', { submittedAt: '2019-05-01T08:00:00Z' }),
      approval('erin', 'MEMBER', { status: { phase: 'Ignored', reason: Reason.NotNewestRun } }),
    ];
    expect(decideFor(approval('bob'), [gated('2')], others)).toMatchObject({
      action: 'wait',
      message: expect.stringMatching(/^1 of 2 approvals .*\(bob\)/),
    });
  });

  it('does not count the request being decided twice when the cache lists it too', () => {
    const own = approval('alice');
    expect(decideFor(own, [gated('2')], [own])).toMatchObject({ action: 'wait' });
  });

  it('reads the number from a label as well as from an annotation', () => {
    expect(decideFor(approval('alice'), [gated('3', 'labels')])).toMatchObject({
      action: 'wait',
      message: expect.stringMatching(/^1 of 3 /),
    });
  });

  it('keeps an approval waiting past the wait timeout, as long as the workflow waits', () => {
    const muchLater = new Date(Date.parse(created) + 7 * 24 * 3600 * 1000);
    expect(decideFor(approval('alice'), [gated('2')], [], muchLater)).toMatchObject({
      action: 'wait',
      reason: Reason.ApprovalsPending,
    });
  });

  it('settles a waiting approval as counted once the stage has moved on', () => {
    const passed = playWorkflow({ at: 3, annotations: { [GATE]: '2' } });
    expect(decideFor(waitingApproval('alice'), [passed])).toEqual({
      action: 'complete',
      phase: 'Succeeded',
      reason: Reason.ApprovalCounted,
      message:
        'workflow play-42-abcde passed waiting-pr-approved once enough reviewers had approved, this one among them',
      workflowName: 'play-42-abcde',
      resumedNode: 'wait-pr-approved',
    });
  });

  it('settles a waiting approval as counted once the gate opened and the workflow completed', () => {
    const completed = playWorkflow({
      at: 3,
      phase: 'Succeeded',
      annotations: { [GATE]: '2', 'resume.workflows.dev/waiting-pr-approved': 'ci/gh-bob' },
    });
    expect(decideFor(waitingApproval('alice'), [completed])).toMatchObject({
      phase: 'Succeeded',
      reason: Reason.ApprovalCounted,
    });
    // Completed without the stage having been resumed: the approval was not what moved it.
    const failed = playWorkflow({ at: 2, phase: 'Failed', annotations: { [GATE]: '2' } });
    expect(decideFor(waitingApproval('alice'), [failed])).toMatchObject({ reason: Reason.WorkflowCompleted });
  });

  it('lets an explicit resume (no GitHub facts) through without counting', () => {
    const manual: ResumeRequest = {
      apiVersion: 'resume.workflows.dev/v1alpha1',
      kind: 'ResumeRequest',
      metadata: { name: 'manual', namespace: 'ci', creationTimestamp: created },
      spec: { taskId: '42', eventType: 'pr-approved' },
    };
    expect(decideFor(manual, [gated('2')])).toMatchObject({ action: 'resume' });
  });
});

describe('the required-approvals value', () => {
  it('of 1 is the ungated default', () => {
    expect(decideFor(approval('alice'), [gated('1')])).toMatchObject({ action: 'resume' });
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
