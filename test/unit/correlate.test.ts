// From real GitHub webhook payloads (as the Sensor turns them into ResumeRequests) to the task,
// event type and stage they resume, and the refusals for everything else.
import { defaultDomainConfig } from '../../src/domain/config.js';
import { resolveRequest, workflowFieldSelector, workflowLabelSelector } from '../../src/domain/correlate.js';
import type { ResolvedRequest } from '../../src/domain/correlate.js';
import { isOutcome, type Outcome } from '../../src/domain/outcome.js';
import { Reason } from '../../src/domain/reasons.js';
import type { ResumeRequest } from '../../src/api/resume-request.js';
import {
  labeledWith,
  onClosedPullRequest,
  opened,
  reviewDismissed,
  reviewSubmitted,
  reviewWithState,
} from '../fixtures/github/payloads.js';
import { requestFromWebhook, withHeadRef, withLabels } from '../fixtures/github-requests.js';

const config = defaultDomainConfig;

function resolved(request: ResumeRequest): ResolvedRequest {
  const result = resolveRequest(request, config);
  if (isOutcome(result)) throw new Error(`expected a resolved request, got ${JSON.stringify(result)}`);
  return result;
}

function outcome(request: ResumeRequest): Outcome {
  const result = resolveRequest(request, config);
  if (!isOutcome(result)) throw new Error(`expected an outcome, got ${JSON.stringify(result)}`);
  return result;
}

const byHand = (spec: Record<string, unknown>): ResumeRequest => ({
  apiVersion: 'resume.workflows.dev/v1alpha1',
  kind: 'ResumeRequest',
  metadata: { name: 'manual', namespace: 'ci' },
  spec: spec as ResumeRequest['spec'],
});

describe('event types from real webhook payloads', () => {
  it('maps pull_request opened on a task branch to pr-created at waiting-pr-created', () => {
    const request = requestFromWebhook({
      event: 'pull_request',
      payload: withHeadRef(opened(), 'task-42-login'),
    });
    expect(resolved(request)).toMatchObject({
      taskId: '42',
      eventType: 'pr-created',
      stage: 'waiting-pr-created',
      suspendNode: 'wait-pr-created',
      repository: 'Codertocat/Hello-World',
    });
  });

  it.each(['reopened', 'ready_for_review'])('maps pull_request %s to pr-created', (action) => {
    const payload = withHeadRef(opened(), 'task-42');
    const request = requestFromWebhook({ event: 'pull_request', payload });
    request.spec.github!.action = action;
    expect(resolved(request).eventType).toBe('pr-created');
  });

  it('maps the ready-for-qa label to pr-labeled-ready at waiting-ready-for-qa', () => {
    const payload = withLabels(labeledWith('ready-for-qa'), ['task-42', 'ready-for-qa']);
    payload.label!.name = 'ready-for-qa';
    const result = resolved(requestFromWebhook({ event: 'pull_request', payload }));
    expect(result).toMatchObject({
      taskId: '42',
      eventType: 'pr-labeled-ready',
      stage: 'waiting-ready-for-qa',
    });
  });

  it('maps an approving review to pr-approved at waiting-pr-approved', () => {
    const payload = withHeadRef(reviewWithState('approved'), 'feature/task-7-search');
    const result = resolved(requestFromWebhook({ event: 'pull_request_review', payload }));
    expect(result).toMatchObject({
      taskId: '7',
      eventType: 'pr-approved',
      review: 'approve',
      stage: 'waiting-pr-approved',
    });
  });

  it.each([
    ['a review requesting changes', () => reviewWithState('changes_requested')],
    ['a dismissed review', () => reviewDismissed()],
  ])('maps %s to the approval stage as withdrawing the reviewer’s approval', (_name, payload) => {
    const result = resolved(
      requestFromWebhook({ event: 'pull_request_review', payload: withHeadRef(payload(), 'task-7') }),
    );
    expect(result).toMatchObject({
      taskId: '7',
      eventType: 'pr-approved',
      review: 'retract',
      stage: 'waiting-pr-approved',
    });
  });

  it('maps pull request events without a review verdict', () => {
    const payload = withHeadRef(opened(), 'task-7');
    expect(resolved(requestFromWebhook({ event: 'pull_request', payload }))).not.toHaveProperty('review');
  });

  it.each([
    [
      'another label',
      () => requestFromWebhook({ event: 'pull_request', payload: withHeadRef(labeledWith('bug'), 'task-1') }),
    ],
    [
      'a commenting review (the example as GitHub ships it)',
      () =>
        requestFromWebhook({
          event: 'pull_request_review',
          payload: withHeadRef(reviewSubmitted(), 'task-1'),
        }),
    ],
    [
      'an approval on a closed pull request',
      () =>
        requestFromWebhook({
          event: 'pull_request_review',
          payload: onClosedPullRequest(withHeadRef(reviewWithState('approved'), 'task-1')),
        }),
    ],
  ])('ignores %s as NotRelevant', (_name, build) => {
    expect(outcome(build())).toMatchObject({ phase: 'Ignored', reason: Reason.NotRelevant });
  });

  it('says which event was not relevant', () => {
    const request = requestFromWebhook({
      event: 'pull_request',
      payload: withHeadRef(labeledWith('bug'), 'task-1'),
    });
    expect(outcome(request).message).toBe(
      'GitHub event pull_request/labeled label "bug" does not resume any stage',
    );
  });

  it('fails when spec.eventType and the GitHub facts disagree', () => {
    const request = requestFromWebhook({ event: 'pull_request', payload: withHeadRef(opened(), 'task-42') });
    request.spec.eventType = 'pr-approved';
    expect(outcome(request)).toMatchObject({ phase: 'Failed', reason: Reason.AmbiguousEventType });
  });

  it('accepts spec.eventType that agrees with the GitHub facts', () => {
    const request = requestFromWebhook({ event: 'pull_request', payload: withHeadRef(opened(), 'task-42') });
    request.spec.eventType = 'pr-created';
    expect(resolved(request).eventType).toBe('pr-created');
  });

  it('needs an event type when there are no GitHub facts', () => {
    expect(outcome(byHand({ taskId: '42' }))).toMatchObject({
      phase: 'Failed',
      reason: Reason.MissingEventType,
    });
  });
});

describe('task ids', () => {
  const pr = (labels: string[], headRef: string) =>
    requestFromWebhook({
      event: 'pull_request',
      payload: withHeadRef(withLabels(opened(), labels), headRef),
    });

  it('takes the id from a task-<id> label', () => {
    expect(resolved(pr(['bug', 'task-abc.1'], 'my-branch')).taskId).toBe('abc.1');
  });

  it.each([
    ['task-42', '42'],
    ['task-42-fix-login', '42'],
    ['task-42/part-2', '42'],
    ['feature/task-42', '42'],
    ['feature/task-42-fix-login', '42'],
  ])('takes the id from the branch %s', (branch, id) => {
    expect(resolved(pr([], branch)).taskId).toBe(id);
  });

  it('agrees when label, branch and spec.taskId name the same task', () => {
    const request = pr(['task-42'], 'feature/task-42-login');
    request.spec.taskId = '42';
    expect(resolved(request).taskId).toBe('42');
  });

  it('fails as AmbiguousTaskId when the label and the branch disagree, naming both', () => {
    const result = outcome(pr(['task-41'], 'task-42-login'));
    expect(result).toMatchObject({ phase: 'Failed', reason: Reason.AmbiguousTaskId });
    expect(result.message).toContain('PR label "task-41" → 41');
    expect(result.message).toContain('head branch "task-42-login" → 42');
  });

  it('fails as AmbiguousTaskId with two task labels', () => {
    expect(outcome(pr(['task-1', 'task-2'], 'main')).reason).toBe(Reason.AmbiguousTaskId);
  });

  it('fails as AmbiguousTaskId when spec.taskId disagrees with the branch', () => {
    const request = pr([], 'task-42');
    request.spec.taskId = '43';
    expect(outcome(request).reason).toBe(Reason.AmbiguousTaskId);
  });

  it('fails as MissingTaskId when nothing names a task', () => {
    expect(outcome(pr(['bug'], 'changes'))).toMatchObject({ phase: 'Failed', reason: Reason.MissingTaskId });
  });

  it('does not read a task id from labels or branches that only look alike', () => {
    expect(outcome(pr(['task-', 'my-task-42', 'task-4 2'], 'old/task-42')).reason).toBe(Reason.MissingTaskId);
  });

  it.each(['1,workflow-type!=x', '1 in (2)', 'a b', 'tâche', 'x'.repeat(64), '-1'])(
    'refuses the hostile spec.taskId %j as InvalidTaskId',
    (taskId) => {
      const result = outcome(byHand({ taskId, eventType: 'pr-created' }));
      expect(result).toMatchObject({ phase: 'Failed', reason: Reason.InvalidTaskId });
      expect(result.message).toContain('spec.taskId');
    },
  );

  it('refuses a hostile id captured by a loose configured pattern', () => {
    const loose = { ...config, taskIdLabelPatterns: ['^task-(.+)$'] };
    const request = pr(['task-1,task-id!=1'], 'main');
    expect(resolveRequest(request, loose)).toMatchObject({ phase: 'Failed', reason: Reason.InvalidTaskId });
  });

  it('lets a request that names its workflow do without a task id', () => {
    const result = resolved(byHand({ workflowName: 'play-42', eventType: 'pr-approved' }));
    expect(result.taskId).toBeUndefined();
    expect(workflowFieldSelector(result)).toBe('metadata.name=play-42');
    expect(workflowLabelSelector(result, config)).toBe('workflow-type=play-orchestration');
  });
});

describe('selectors', () => {
  it('lists the play workflows of the one task', () => {
    const result = resolved(byHand({ taskId: '42', eventType: 'pr-created' }));
    expect(workflowLabelSelector(result, config)).toBe('workflow-type=play-orchestration,task-id=42');
    expect(workflowFieldSelector(result)).toBeUndefined();
  });

  it('ANDs a checked extra selector', () => {
    const result = resolved(
      byHand({ taskId: '42', eventType: 'pr-created', labelSelector: 'team in (a, b),!old' }),
    );
    expect(workflowLabelSelector(result, config)).toBe(
      'workflow-type=play-orchestration,task-id=42,team in (a,b),!old',
    );
  });

  it.each([
    ['task-id=43', 'task-id'],
    ['task-id', 'task-id'],
    ['!workflow-type', 'workflow-type'],
    ['workflow-type notin (play-orchestration)', 'workflow-type'],
  ])('refuses an extra selector %j that touches %s', (labelSelector, key) => {
    const result = outcome(byHand({ taskId: '42', eventType: 'pr-created', labelSelector }));
    expect(result).toMatchObject({ phase: 'Failed', reason: Reason.InvalidLabelSelector });
    expect(result.message).toContain(key);
  });

  it.each(['a=b,', 'a in (b', 'a=-b', 'a==b==c', 'a in b', ',', '/a=b'])(
    'refuses the malformed selector %j',
    (labelSelector) => {
      const result = outcome(byHand({ taskId: '42', eventType: 'pr-created', labelSelector }));
      expect(result.reason).toBe(Reason.InvalidLabelSelector);
    },
  );

  it('refuses a node field selector on a field Argo does not have', () => {
    const result = outcome(byHand({ taskId: '42', eventType: 'pr-created', nodeFieldSelector: 'spec.x=1' }));
    expect(result).toMatchObject({ phase: 'Failed', reason: Reason.InvalidNodeFieldSelector });
  });

  it('keeps a valid node field selector, parsed', () => {
    const result = resolved(
      byHand({ taskId: '42', eventType: 'pr-created', nodeFieldSelector: 'displayName=a\\,b' }),
    );
    expect(result.nodeSelector).toEqual([{ field: 'displayName', negated: false, value: 'a,b' }]);
  });
});

describe('a spec the API server would not have admitted', () => {
  it.each([
    ['not an object', 'hello'],
    ['null', null],
    ['no target', { eventType: 'pr-created' }],
    ['a wrong type', { taskId: 42, eventType: 'pr-created' }],
  ])('fails %s as InvalidSpec or InvalidTaskId without throwing', (_name, spec) => {
    const result = outcome(byHand(spec as Record<string, unknown>));
    expect(result.phase).toBe('Failed');
    expect([Reason.InvalidSpec, Reason.InvalidTaskId]).toContain(result.reason);
  });
});
