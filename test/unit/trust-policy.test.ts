// The trust rules on real GitHub payloads: who may approve, which pull requests may advance a
// play, and which repository's events a workflow hears. Each refusal is Ignored, with a reason
// naming the rule and a message naming the fact that failed.
import { defaultDomainConfig, domainConfigSchema, type DomainConfig } from '../../src/domain/config.js';
import { resolveRequest } from '../../src/domain/correlate.js';
import { decide, type Decision } from '../../src/domain/decide.js';
import { isOutcome } from '../../src/domain/outcome.js';
import { Reason } from '../../src/domain/reasons.js';
import type { ResumeRequest } from '../../src/api/resume-request.js';
import type { Workflow } from '../../src/api/workflow.js';
import {
  accountIdOf,
  approvalBy,
  fromDeletedFork,
  inRepository,
  labeledWith,
  opened,
  openedFromFork,
  reviewWithState,
} from '../fixtures/github/payloads.js';
import { requestFromWebhook, withHeadRef, withLabels } from '../fixtures/github-requests.js';
import { playWorkflow } from '../fixtures/play-workflows.js';

const created = '2019-05-15T15:21:00Z';
const now = new Date('2019-05-15T15:22:00Z');
const HOME = 'codertocat.hello-world';

const withTrust = (trust: Partial<DomainConfig['trust']>): DomainConfig =>
  domainConfigSchema.parse({ ...defaultDomainConfig, trust });

function decideFor(request: ResumeRequest, workflows: Workflow[], config = defaultDomainConfig): Decision {
  const resolved = resolveRequest(request, config);
  if (isOutcome(resolved)) throw new Error(`request did not resolve: ${resolved.message}`);
  return decide({ request, resolved, workflows, now, config });
}

const review = (payload: ReturnType<typeof reviewWithState>) =>
  requestFromWebhook(
    { event: 'pull_request_review', payload: withHeadRef(payload, 'task-42') },
    { createdAt: created },
  );
const pullRequest = (payload: ReturnType<typeof opened>) =>
  requestFromWebhook(
    { event: 'pull_request', payload: withHeadRef(payload, 'task-42-login') },
    { createdAt: created },
  );
const atApproval = (labels: Record<string, string> = { repository: HOME }) => playWorkflow({ at: 2, labels });
const atCreated = (labels: Record<string, string> = { repository: HOME }) => playWorkflow({ at: 0, labels });

describe('approvals', () => {
  it('count from the repository owner, as GitHub’s example review is', () => {
    const payload = reviewWithState('approved');
    expect(payload.review.author_association).toBe('OWNER');
    expect(decideFor(review(payload), [atApproval()])).toMatchObject({ action: 'resume' });
  });

  it.each(['MEMBER', 'COLLABORATOR'] as const)('count from a %s', (association) => {
    expect(decideFor(review(approvalBy('mona', association)), [atApproval()])).toMatchObject({
      action: 'resume',
    });
  });

  it.each(['NONE', 'CONTRIBUTOR', 'FIRST_TIME_CONTRIBUTOR', 'FIRST_TIMER', 'MANNEQUIN'] as const)(
    'from an outsider (%s) are ignored, naming the reviewer, the fact and the rule',
    (association) => {
      expect(decideFor(review(approvalBy('outsider', association)), [atApproval()])).toEqual({
        action: 'complete',
        phase: 'Ignored',
        reason: Reason.UntrustedApprover,
        message:
          `approval by reviewer outsider (account ${accountIdOf('outsider')}) does not count: ` +
          `author_association is ${association}; trust.approverAssociations allows OWNER, MEMBER, COLLABORATOR`,
      });
    },
  );

  it('count from a listed login whatever its association, ignoring case', () => {
    const config = withTrust({ approverLogins: ['Release-Bot'] });
    expect(decideFor(review(approvalBy('release-bot', 'NONE')), [atApproval()], config)).toMatchObject({
      action: 'resume',
    });
    const other = decideFor(review(approvalBy('someone', 'NONE')), [atApproval()], config);
    expect(other).toMatchObject({ reason: Reason.UntrustedApprover });
    expect((other as { message: string }).message).toContain('or one of 1 trust.approverLogins');
  });

  it('follow the configured associations', () => {
    const config = withTrust({ approverAssociations: ['OWNER'] });
    expect(decideFor(review(approvalBy('mona', 'MEMBER')), [atApproval()], config)).toMatchObject({
      reason: Reason.UntrustedApprover,
    });
  });

  it('do not count when the association is not given (a Sensor that does not carry it)', () => {
    const request = review(reviewWithState('approved'));
    delete request.spec.github!.reviewAuthorAssociation;
    expect(decideFor(request, [atApproval()])).toMatchObject({
      phase: 'Ignored',
      reason: Reason.UntrustedApprover,
      message: expect.stringContaining('spec.github.reviewAuthorAssociation is not given'),
    });
  });

  it('count from a listed account id whatever its login or association: the rule a rename cannot get around', () => {
    const config = withTrust({ approverAssociations: [], approverIds: [4242] });
    expect(decideFor(review(approvalBy('renamed', 'NONE', 4242)), [atApproval()], config)).toMatchObject({
      action: 'resume',
    });
    const other = decideFor(review(approvalBy('renamed', 'MEMBER', 4343)), [atApproval()], config);
    expect(other).toMatchObject({ reason: Reason.UntrustedApprover });
    expect((other as { message: string }).message).toContain(
      'trust.approverAssociations allows none or one of 1 trust.approverIds',
    );
  });

  it('count from a permission the event carries, when the configuration names it', () => {
    const config = withTrust({
      approverAssociations: [],
      approverPermissions: ['admin', 'maintain', 'write'],
    });
    const writer = review(approvalBy('mona', 'MEMBER'));
    writer.spec.github!.reviewerPermission = 'write';
    expect(decideFor(writer, [atApproval()], config)).toMatchObject({ action: 'resume' });
    // A MEMBER with read access only: author_association alone would have let this one count.
    const reader = review(approvalBy('mona', 'MEMBER'));
    reader.spec.github!.reviewerPermission = 'read';
    expect(decideFor(reader, [atApproval()], config)).toMatchObject({
      reason: Reason.UntrustedApprover,
      message: expect.stringContaining(
        'trust.approverPermissions admin, maintain, write (the event carries reviewerPermission read)',
      ),
    });
  });

  it('without the reviewer’s account id (a Sensor of an earlier version) are the login’s', () => {
    const request = review(approvalBy('mona', 'MEMBER'));
    delete request.spec.github!.reviewerId;
    delete request.spec.github!.reviewer;
    expect(decideFor(request, [atApproval()])).toMatchObject({ action: 'resume' });
    const outsider = review(approvalBy('drive-by', 'NONE'));
    delete outsider.spec.github!.reviewerId;
    expect(decideFor(outsider, [atApproval()])).toMatchObject({
      reason: Reason.UntrustedApprover,
      message: expect.stringMatching(
        /^approval by reviewer drive-by does not count: author_association is NONE/,
      ),
    });
  });

  it('of a pull request from a fork are ignored like the fork’s other events', () => {
    const payload = approvalBy('mona', 'MEMBER');
    payload.pull_request.head.repo = { ...payload.pull_request.head.repo!, full_name: 'octocat/Hello-World' };
    expect(decideFor(review(payload), [atApproval()])).toEqual({
      action: 'complete',
      phase: 'Ignored',
      reason: Reason.ForkPullRequest,
      message:
        'pr-approved refused: the pull request does not come from the repository itself ' +
        '(its head branch is in octocat/Hello-World, not Codertocat/Hello-World); trust.allowForkPullRequests is false',
    });
    const config = withTrust({ allowForkPullRequests: true });
    expect(decideFor(review(payload), [atApproval()], config)).toMatchObject({ action: 'resume' });
  });

  it('are the operator’s own check: a request without GitHub facts is an explicit resume', () => {
    const manual: ResumeRequest = {
      apiVersion: 'resume.workflows.dev/v1alpha1',
      kind: 'ResumeRequest',
      metadata: { name: 'manual', namespace: 'ci', creationTimestamp: created },
      spec: { taskId: '42', eventType: 'pr-approved' },
    };
    expect(decideFor(manual, [atApproval()])).toMatchObject({ action: 'resume' });
  });
});

describe('pull requests from forks', () => {
  it('are ignored for pr-created, naming both repositories', () => {
    const payload = openedFromFork('octocat');
    expect(decideFor(pullRequest(payload), [atCreated()])).toEqual({
      action: 'complete',
      phase: 'Ignored',
      reason: Reason.ForkPullRequest,
      message:
        'pr-created refused: the pull request does not come from the repository itself ' +
        '(its head branch is in octocat/Hello-World, not Codertocat/Hello-World); ' +
        'trust.allowForkPullRequests is false',
    });
  });

  it('are ignored for pr-labeled-ready', () => {
    const payload = withLabels(labeledWith('ready-for-qa'), ['ready-for-qa', 'task-42']);
    payload.pull_request.head.repo = { ...payload.pull_request.head.repo!, full_name: 'octocat/Hello-World' };
    const request = requestFromWebhook({ event: 'pull_request', payload }, { createdAt: created });
    expect(decideFor(request, [playWorkflow({ at: 1 })])).toMatchObject({
      phase: 'Ignored',
      reason: Reason.ForkPullRequest,
    });
  });

  it('are ignored when the fork was deleted (head.repo is null)', () => {
    const request = pullRequest(fromDeletedFork(opened()));
    expect(request.spec.github?.headRepository).toBeNull();
    expect(decideFor(request, [atCreated()])).toMatchObject({
      reason: Reason.ForkPullRequest,
      message: expect.stringContaining('its head repository no longer exists'),
    });
  });

  it('are ignored when the head repository is not given', () => {
    const request = pullRequest(opened());
    delete request.spec.github!.headRepository;
    expect(decideFor(request, [atCreated()])).toMatchObject({
      reason: Reason.ForkPullRequest,
      message: expect.stringContaining('spec.github.headRepository is not given'),
    });
  });

  it('advance a play when trust.allowForkPullRequests is set', () => {
    const config = withTrust({ allowForkPullRequests: true });
    expect(decideFor(pullRequest(openedFromFork('octocat')), [atCreated()], config)).toMatchObject({
      action: 'resume',
    });
  });

  it('do not include a repository that is itself a fork opening a pull request from its own branch', () => {
    const payload = opened();
    payload.pull_request.head.repo = { ...payload.pull_request.head.repo!, fork: true };
    expect(decideFor(pullRequest(payload), [atCreated()])).toMatchObject({ action: 'resume' });
  });
});

describe('the repository label', () => {
  it('binds a workflow to its repository’s events: another repository’s event waits for a workflow of its own, then is ignored', () => {
    const request = pullRequest(inRepository(opened(), 'other-org/Hello-World'));
    const message =
      'the event is from other-org/Hello-World but workflow play-42-abcde is labelled ' +
      `repository=${HOME}; a workflow's repository label binds it to the events of that repository`;
    expect(decideFor(request, [atCreated()])).toEqual({
      action: 'wait',
      reason: Reason.RepositoryMismatch,
      message,
      deadline: new Date(Date.parse(created) + 1800 * 1000),
      workflowName: 'play-42-abcde',
    });
    const resolved = resolveRequest(request, defaultDomainConfig);
    if (isOutcome(resolved)) throw new Error(resolved.message);
    const afterDeadline = new Date(Date.parse(created) + 1800 * 1000);
    expect(
      decide({
        request,
        resolved,
        workflows: [atCreated()],
        now: afterDeadline,
        config: defaultDomainConfig,
      }),
    ).toEqual({
      action: 'complete',
      phase: 'Ignored',
      reason: Reason.RepositoryMismatch,
      message: `gave up after 1800s: ${message}`,
      workflowName: 'play-42-abcde',
    });
  });

  it('lets the event reach the workflow of its own repository among the task’s workflows', () => {
    const request = pullRequest(inRepository(opened(), 'other-org/Hello-World'));
    const mine = playWorkflow({ name: 'play-other', at: 0, labels: { repository: 'other-org.hello-world' } });
    const theirs = playWorkflow({ name: 'play-home', at: 0, labels: { repository: HOME }, created: created });
    expect(decideFor(request, [theirs, mine])).toMatchObject({
      action: 'resume',
      workflowName: 'play-other',
    });
  });

  it('refuses an event that names no repository', () => {
    const request = pullRequest(opened());
    delete request.spec.repository;
    delete request.spec.github!.headRepository;
    const config = withTrust({ allowForkPullRequests: true });
    expect(decideFor(request, [atCreated()], config)).toMatchObject({
      reason: Reason.RepositoryMismatch,
      message: expect.stringContaining('names no repository'),
    });
  });

  it('when absent, lets any repository’s event through by default', () => {
    const request = pullRequest(inRepository(opened(), 'other-org/Hello-World'));
    expect(decideFor(request, [atCreated({})])).toMatchObject({ action: 'resume' });
  });

  it('when absent under trust.requireRepositoryLabel, refuses GitHub events but not explicit resumes', () => {
    const config = withTrust({ requireRepositoryLabel: true });
    expect(decideFor(pullRequest(opened()), [atCreated({})], config)).toMatchObject({
      action: 'wait',
      reason: Reason.UnboundWorkflow,
      message:
        'workflow play-42-abcde has no repository label, and trust.requireRepositoryLabel refuses ' +
        'GitHub events (this one is from Codertocat/Hello-World) for such workflows',
    });
    const manual: ResumeRequest = {
      apiVersion: 'resume.workflows.dev/v1alpha1',
      kind: 'ResumeRequest',
      metadata: { name: 'manual', namespace: 'ci', creationTimestamp: created },
      spec: { taskId: '42', eventType: 'pr-created' },
    };
    expect(decideFor(manual, [atCreated({})], config)).toMatchObject({ action: 'resume' });
  });
});

describe('the trust settings', () => {
  it('default to the documented values', () => {
    expect(defaultDomainConfig.trust).toEqual({
      approverAssociations: ['OWNER', 'MEMBER', 'COLLABORATOR'],
      approverIds: [],
      approverLogins: [],
      approverPermissions: [],
      allowForkPullRequests: false,
      requireRepositoryLabel: false,
    });
  });

  it('take a partial override, keeping the other defaults', () => {
    expect(withTrust({ requireRepositoryLabel: true }).trust).toMatchObject({
      approverAssociations: ['OWNER', 'MEMBER', 'COLLABORATOR'],
      requireRepositoryLabel: true,
    });
  });

  it('refuse an association GitHub does not send and a login that is not one', () => {
    const parsed = domainConfigSchema.safeParse({
      ...defaultDomainConfig,
      trust: { approverAssociations: ['ADMIN'], approverLogins: ['a b'] },
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((issue) => issue.path.join('.')).sort()).toEqual([
      'trust.approverAssociations.0',
      'trust.approverLogins.0',
    ]);
  });
});
