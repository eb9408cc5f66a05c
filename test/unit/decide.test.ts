// The decision rules, one scenario each: what to resume, when to wait, and when a request is
// settled without a resume.
import { defaultDomainConfig, type DomainConfig } from '../../src/domain/config.js';
import { compressNodes } from '../../src/domain/compressed-nodes.js';
import { resolveRequest } from '../../src/domain/correlate.js';
import { decide, UNAVAILABLE_RETRY_MS, type Decision } from '../../src/domain/decide.js';
import { isOutcome } from '../../src/domain/outcome.js';
import { Reason } from '../../src/domain/reasons.js';
import type { ResumeRequest } from '../../src/api/resume-request.js';
import type { Workflow } from '../../src/api/workflow.js';
import { labeledWith, opened, reviewWithState } from '../fixtures/github/payloads.js';
import { requestFromWebhook, withHeadRef, withLabels } from '../fixtures/github-requests.js';
import { nodeAt, playWorkflow, suspendNode } from '../fixtures/play-workflows.js';

const created = '2019-05-15T15:21:00Z';
const UID = '0b6d3a1e-0000-4000-8000-000000000001';
const soon = new Date('2019-05-15T15:22:00Z');
const afterDeadline = new Date(Date.parse(created) + 1800 * 1000);

const prOpened = () =>
  requestFromWebhook(
    { event: 'pull_request', payload: withHeadRef(opened(), 'task-42-login') },
    { createdAt: created },
  );
const readyForQa = () => {
  const payload = withLabels(labeledWith('ready-for-qa'), ['ready-for-qa', 'task-42']);
  return requestFromWebhook({ event: 'pull_request', payload }, { createdAt: created });
};
const approved = () =>
  requestFromWebhook(
    { event: 'pull_request_review', payload: withHeadRef(reviewWithState('approved'), 'task-42') },
    { createdAt: created },
  );
const manual = (spec: Record<string, unknown>): ResumeRequest => ({
  apiVersion: 'resume.workflows.dev/v1alpha1',
  kind: 'ResumeRequest',
  metadata: { name: 'manual', namespace: 'ci', creationTimestamp: created },
  spec: spec as ResumeRequest['spec'],
});

function decideFor(
  request: ResumeRequest,
  workflows: Workflow[],
  {
    now = soon,
    config = defaultDomainConfig,
    whole,
  }: { now?: Date; config?: DomainConfig; whole?: Workflow } = {},
): Decision {
  const resolved = resolveRequest(request, config);
  if (isOutcome(resolved)) throw new Error(`request did not resolve: ${resolved.message}`);
  return decide({ request, resolved, workflows, now, config, ...(whole ? { whole } : {}) });
}

describe('resuming', () => {
  it('resumes the stage node of the workflow waiting at the event’s stage', () => {
    const workflow = playWorkflow({ at: 0 });
    expect(decideFor(prOpened(), [workflow])).toEqual({
      action: 'resume',
      workflowName: 'play-42-abcde',
      workflowUid: 'uid-play-42-abcde',
      resourceVersion: '1234',
      nodeId: nodeAt(workflow, 0).id,
      nodeName: 'wait-pr-created',
      stage: 'waiting-pr-created',
      candidates: ['play-42-abcde'],
      message:
        'resuming wait-pr-created of workflow play-42-abcde for pr-created; ' +
        'recorded as its pull request: Codertocat/Hello-World#2 (base master)',
      parameters: {},
      markerKey: 'resume.workflows.dev/waiting-pr-created',
      // The marker names the request and which one of that name: its uid.
      markerValue: `ci/gh-72d3162e-cc78-11e3-81ab-4c9367dc0958/${UID}`,
      // The play's pull request, recorded in the same write.
      annotations: {
        'resume.workflows.dev/pull-request':
          '{"repository":"Codertocat/Hello-World","number":2,"base":"master"}',
      },
      nodeMessage: 'Resumed by ResumeRequest ci/gh-72d3162e-cc78-11e3-81ab-4c9367dc0958 (pr-created)',
    });
  });

  it('records no pull request over one the workflow already names, nor for the later stages', () => {
    const named = playWorkflow({
      at: 0,
      annotations: {
        'resume.workflows.dev/pull-request': '{"repository":"Codertocat/Hello-World","number":2}',
      },
    });
    expect(decideFor(prOpened(), [named])).not.toHaveProperty('annotations');
    expect(decideFor(readyForQa(), [playWorkflow({ at: 1 })])).not.toHaveProperty('annotations');
  });

  it('leaves a person’s workflow-wide argo suspend in place for a GitHub event, not for an explicit resume', () => {
    const held = playWorkflow({ at: 1, suspend: true });
    expect(decideFor(readyForQa(), [held])).toMatchObject({
      action: 'resume',
      keepWorkflowSuspended: true,
      message:
        'resuming wait-ready-for-qa of workflow play-42-abcde for pr-labeled-ready; ' +
        'the workflow stays suspended (spec.suspend, as argo suspend sets it) until someone resumes it',
    });
    const explicit = manual({ taskId: '42', eventType: 'pr-labeled-ready' });
    expect(decideFor(explicit, [held])).not.toHaveProperty('keepWorkflowSuspended');
  });

  it('resumes the later stages for their events', () => {
    expect(decideFor(readyForQa(), [playWorkflow({ at: 1 })])).toMatchObject({
      action: 'resume',
      nodeName: 'wait-ready-for-qa',
    });
    expect(decideFor(approved(), [playWorkflow({ at: 2 })])).toMatchObject({
      action: 'resume',
      nodeName: 'wait-pr-approved',
    });
  });

  it('infers the stage from the waiting node when there is no current-stage label', () => {
    expect(decideFor(readyForQa(), [playWorkflow({ at: 1, stageLabel: null })])).toMatchObject({
      action: 'resume',
      nodeName: 'wait-ready-for-qa',
    });
  });

  it('passes the request’s parameters on', () => {
    const request = manual({
      taskId: '42',
      eventType: 'pr-approved',
      resumeParameters: { approver: 'alice' },
    });
    expect(decideFor(request, [playWorkflow({ at: 2 })])).toMatchObject({
      parameters: { approver: 'alice' },
    });
  });

  it('reads a compressed node map', () => {
    const workflow = playWorkflow({ at: 1 });
    workflow.status!.compressedNodes = compressNodes(workflow.status!.nodes!);
    delete workflow.status!.nodes;
    expect(decideFor(readyForQa(), [workflow])).toMatchObject({
      action: 'resume',
      nodeName: 'wait-ready-for-qa',
    });
  });

  it('resumes the latest visit of a stage the workflow entered again', () => {
    const workflow = playWorkflow({ at: 0 });
    const first = nodeAt(workflow, 0);
    first.phase = 'Succeeded';
    const again = {
      ...suspendNode(workflow.metadata.name, 0, 'Running'),
      id: 'again',
      startedAt: '2019-05-01T10:00:00Z',
    };
    workflow.status!.nodes![again.id] = again;
    expect(decideFor(prOpened(), [workflow])).toMatchObject({ action: 'resume', nodeId: 'again' });
  });

  it('resumes a named workflow for a request without a task', () => {
    const request = manual({ workflowName: 'play-7', eventType: 'pr-created' });
    const workflows = [
      playWorkflow({ name: 'play-7', taskId: '7' }),
      playWorkflow({ name: 'play-8', taskId: '8' }),
    ];
    expect(decideFor(request, workflows)).toMatchObject({ action: 'resume', workflowName: 'play-7' });
  });

  it('resumes the node spec.nodeFieldSelector picks, checking the stage label', () => {
    const workflow = playWorkflow({ at: 0 });
    const request = manual({
      taskId: '42',
      eventType: 'pr-created',
      nodeFieldSelector: 'templateName=wait-pr-created',
    });
    expect(decideFor(request, [workflow])).toMatchObject({
      action: 'resume',
      nodeId: nodeAt(workflow, 0).id,
    });
  });
});

describe('choosing among workflows', () => {
  const older = () => playWorkflow({ name: 'play-42-old', created: '2019-05-01T08:00:00Z' });
  const newer = () => playWorkflow({ name: 'play-42-new', created: '2019-05-01T09:30:00Z' });

  it('resumes the newest of several waiting workflows and lists them all, in any input order', () => {
    for (const workflows of [
      [older(), newer()],
      [newer(), older()],
    ]) {
      expect(decideFor(prOpened(), workflows)).toMatchObject({
        action: 'resume',
        workflowName: 'play-42-new',
        candidates: ['play-42-new', 'play-42-old'],
      });
    }
    expect(decideFor(prOpened(), [older(), newer()])).not.toHaveProperty('stopWorkflows');
  });

  it('names the older duplicates to stop when the policy says so', () => {
    const config = { ...defaultDomainConfig, stopOlderDuplicates: true };
    expect(decideFor(prOpened(), [older(), newer()], { config })).toMatchObject({
      stopWorkflows: [{ name: 'play-42-old', uid: 'uid-play-42-old' }],
    });
  });

  it('fails with MultipleCandidates under the fail policy', () => {
    const config = { ...defaultDomainConfig, duplicatePolicy: 'fail' as const };
    expect(decideFor(prOpened(), [older(), newer()], { config })).toMatchObject({
      action: 'complete',
      phase: 'Failed',
      reason: Reason.MultipleCandidates,
      candidates: ['play-42-new', 'play-42-old'],
    });
  });

  it('weighs the event against the newest run only: it waits for that run to reach the stage', () => {
    const done = playWorkflow({ name: 'play-42-done', phase: 'Succeeded', created: '2019-05-01T09:40:00Z' });
    const early = playWorkflow({
      name: 'play-42-early',
      at: -1,
      stageLabel: null,
      created: '2019-05-01T09:50:00Z',
    });
    expect(decideFor(readyForQa(), [done, early, playWorkflow({ at: 1 })])).toMatchObject({
      action: 'wait',
      reason: Reason.StageNotReached,
      workflowName: 'play-42-early',
    });
  });

  describe('one run per task: the newest workflow', () => {
    const oldRun = () =>
      playWorkflow({ name: 'play-42-old', at: 1, created: '2019-05-01T08:00:00Z', labels: { team: 'a' } });
    const newRun = (at: number, phase?: string) =>
      playWorkflow({ name: 'play-42-new', at, created: '2019-05-01T09:30:00Z', ...(phase ? { phase } : {}) });

    it('having moved past the stage, an older run waiting at it is not resumed: Ignored naming the newest', () => {
      expect(decideFor(readyForQa(), [oldRun(), newRun(2)])).toEqual({
        action: 'complete',
        phase: 'Ignored',
        reason: Reason.NotNewestRun,
        message:
          'the run of task 42 is its newest workflow play-42-new (past waiting-ready-for-qa: its node ' +
          'wait-ready-for-qa has already succeeded); play-42-old is an older run, which an event never ' +
          'resumes unless spec.workflowName names it',
        workflowName: 'play-42-new',
        candidates: ['play-42-new', 'play-42-old'],
      });
    });

    it('having completed, an older run waiting at the stage is not resumed either', () => {
      expect(decideFor(readyForQa(), [oldRun(), newRun(3, 'Succeeded')])).toMatchObject({
        phase: 'Ignored',
        reason: Reason.NotNewestRun,
        workflowName: 'play-42-new',
      });
    });

    it('unless spec.workflowName names the older run', () => {
      const request = manual({ taskId: '42', eventType: 'pr-labeled-ready', workflowName: 'play-42-old' });
      expect(decideFor(request, [oldRun(), newRun(2)])).toMatchObject({
        action: 'resume',
        workflowName: 'play-42-old',
      });
    });

    it('having moved past the stage with no older run waiting, the event was simply late', () => {
      expect(decideFor(readyForQa(), [newRun(2)])).toMatchObject({ reason: Reason.AlreadyResumed });
    });

    it('is the newest the extra selector leaves', () => {
      const request = manual({ taskId: '42', eventType: 'pr-labeled-ready', labelSelector: 'team=a' });
      expect(decideFor(request, [oldRun(), newRun(2)])).toMatchObject({
        action: 'resume',
        workflowName: 'play-42-old',
      });
    });
  });

  it.each<[string, Partial<Parameters<typeof playWorkflow>[0]>]>([
    ['another namespace', { namespace: 'other' }],
    ['another task', { taskId: '43' }],
    ['another workflow type', { labels: { 'workflow-type': 'nightly' } }],
  ])('never considers a workflow of %s', (_name, options) => {
    expect(decideFor(prOpened(), [playWorkflow(options)])).toMatchObject({
      action: 'wait',
      reason: Reason.WorkflowNotFound,
    });
  });

  it.each(['codertocat.hello-world', 'Hello-World', 'CODERTOCAT.HELLO-WORLD'])(
    'matches the repository label %j against Codertocat/Hello-World',
    (repository) => {
      expect(decideFor(prOpened(), [playWorkflow({ labels: { repository } })]).action).toBe('resume');
    },
  );

  it('never considers a workflow that is being deleted', () => {
    const workflow = playWorkflow();
    workflow.metadata.deletionTimestamp = '2019-05-15T15:21:30Z';
    expect(decideFor(prOpened(), [workflow])).toMatchObject({ reason: Reason.WorkflowNotFound });
  });

  it('narrows by the extra label selector', () => {
    const request = manual({ taskId: '42', eventType: 'pr-created', labelSelector: 'team=a' });
    const workflows = [
      playWorkflow({ name: 'play-b', labels: { team: 'b' } }),
      playWorkflow({ name: 'play-a', labels: { team: 'a' } }),
    ];
    expect(decideFor(request, workflows)).toMatchObject({
      action: 'resume',
      workflowName: 'play-a',
      candidates: ['play-a'],
    });
  });
});

describe('waiting', () => {
  it('waits for a workflow that does not exist yet, until the deadline', () => {
    expect(decideFor(prOpened(), [])).toEqual({
      action: 'wait',
      reason: Reason.WorkflowNotFound,
      message: 'no play-orchestration workflow of task 42 in namespace ci yet',
      deadline: afterDeadline,
    });
  });

  it('fails as WorkflowNotFound once the deadline has passed', () => {
    expect(decideFor(prOpened(), [], { now: afterDeadline })).toMatchObject({
      action: 'complete',
      phase: 'Failed',
      reason: Reason.WorkflowNotFound,
      message: 'gave up after 1800s: no play-orchestration workflow of task 42 in namespace ci yet',
    });
  });

  it('honours a configured wait timeout', () => {
    const config = { ...defaultDomainConfig, waitTimeoutSeconds: 90 };
    const deadline = new Date(Date.parse(created) + 90_000);
    expect(decideFor(prOpened(), [], { config })).toMatchObject({ action: 'wait', deadline });
    expect(decideFor(prOpened(), [], { config, now: deadline })).toMatchObject({
      action: 'complete',
      phase: 'Failed',
    });
  });

  it('waits as StageNotReached while the workflow is at an earlier stage, then fails', () => {
    const workflow = playWorkflow({ at: 0 });
    expect(decideFor(readyForQa(), [workflow])).toEqual({
      action: 'wait',
      reason: Reason.StageNotReached,
      message:
        'workflow play-42-abcde has not reached waiting-ready-for-qa: it is at stage waiting-pr-created',
      deadline: afterDeadline,
      workflowName: 'play-42-abcde',
      candidates: ['play-42-abcde'],
    });
    expect(decideFor(readyForQa(), [workflow], { now: afterDeadline })).toMatchObject({
      action: 'complete',
      phase: 'Failed',
      reason: Reason.StageNotReached,
      workflowName: 'play-42-abcde',
    });
  });

  it('keeps an early approval waiting past the wait timeout, as long as the workflow is at or before the stage', () => {
    const workflow = playWorkflow({ at: 0 });
    const muchLater = new Date(Date.parse(created) + 3 * 24 * 3600 * 1000);
    expect(decideFor(approved(), [workflow], { now: muchLater })).toEqual({
      action: 'wait',
      reason: Reason.StageNotReached,
      message:
        'workflow play-42-abcde has not reached waiting-pr-approved: it is at stage waiting-pr-created; ' +
        'the approval waits as long as the workflow is at or before the stage',
      deadline: new Date(muchLater.getTime() + 1800 * 1000),
      workflowName: 'play-42-abcde',
    });
  });

  it('waits while the workflow is labelled at the stage but its node is not running yet', () => {
    const workflow = playWorkflow({ at: 0, stageLabel: 'waiting-ready-for-qa' });
    nodeAt(workflow, 0).phase = 'Succeeded';
    expect(decideFor(readyForQa(), [workflow])).toMatchObject({
      action: 'wait',
      reason: Reason.StageNotReached,
      message: expect.stringContaining(
        'labelled waiting-ready-for-qa but its wait-ready-for-qa node is not waiting yet',
      ),
    });
  });

  it('waits as StageMismatch when the label and the waiting node disagree', () => {
    const workflow = playWorkflow({ at: 1, stageLabel: 'waiting-pr-created' });
    expect(decideFor(readyForQa(), [workflow])).toMatchObject({
      action: 'wait',
      reason: Reason.StageMismatch,
      message:
        'workflow play-42-abcde has wait-ready-for-qa waiting but is labelled current-stage=waiting-pr-created; not resuming until they agree',
    });
  });

  it('does not resume a workflow that is only suspended as a whole', () => {
    const workflow = playWorkflow({ at: -1, stageLabel: null, suspend: true });
    expect(decideFor(prOpened(), [workflow])).toMatchObject({
      action: 'wait',
      reason: Reason.StageNotReached,
    });
  });

  it('waits as NoMatchingNode when the node field selector matches nothing at the stage', () => {
    const request = manual({ taskId: '42', eventType: 'pr-created', nodeFieldSelector: 'displayName=other' });
    expect(decideFor(request, [playWorkflow({ at: 0 })])).toMatchObject({
      action: 'wait',
      reason: Reason.NoMatchingNode,
    });
  });
});

describe('settling without a resume', () => {
  it('ignores a completed workflow', () => {
    expect(decideFor(prOpened(), [playWorkflow({ at: 3, phase: 'Succeeded' })])).toEqual({
      action: 'complete',
      phase: 'Ignored',
      reason: Reason.WorkflowCompleted,
      message: 'workflow play-42-abcde has already completed (Succeeded)',
      workflowName: 'play-42-abcde',
    });
  });

  it('ignores a workflow being shut down', () => {
    const workflow = playWorkflow();
    workflow.spec!.shutdown = 'Stop';
    expect(decideFor(prOpened(), [workflow])).toMatchObject({
      phase: 'Ignored',
      reason: Reason.WorkflowShuttingDown,
    });
  });

  it('ignores a stage whose node has already succeeded', () => {
    expect(decideFor(prOpened(), [playWorkflow({ at: 1 })])).toEqual({
      action: 'complete',
      phase: 'Ignored',
      reason: Reason.AlreadyResumed,
      message:
        'workflow play-42-abcde is past waiting-pr-created: its node wait-pr-created has already succeeded',
      workflowName: 'play-42-abcde',
      resumedNode: 'wait-pr-created',
    });
  });

  it('ignores a stage the label says is past, even without its node', () => {
    const workflow = playWorkflow({ at: -1, stageLabel: 'waiting-pr-approved' });
    expect(decideFor(prOpened(), [workflow])).toMatchObject({
      phase: 'Ignored',
      reason: Reason.AlreadyResumed,
    });
  });

  it('succeeds when the workflow records that this request resumed the stage, with what was to follow', () => {
    const request = prOpened();
    const workflow = playWorkflow({
      at: 1,
      annotations: { 'resume.workflows.dev/waiting-pr-created': `ci/${request.metadata.name}/${UID}` },
    });
    expect(decideFor(request, [workflow])).toEqual({
      action: 'complete',
      phase: 'Succeeded',
      reason: Reason.ResumedByThisRequest,
      message: 'workflow play-42-abcde records that this request resumed waiting-pr-created',
      workflowName: 'play-42-abcde',
      resumedNode: 'wait-pr-created',
      resumeTime: nodeAt(workflow, 0).finishedAt,
      // An operator stopped between the resume and its status write left these undone.
      followUps: {
        nodeName: 'wait-pr-created',
        stopWorkflows: [],
        resumedAt: nodeAt(workflow, 0).finishedAt,
        reachedAt: nodeAt(workflow, 0).startedAt,
      },
    });
  });

  it('stops, after a resume the workflow records, the older duplicates the policy stops', () => {
    const request = prOpened();
    const config = { ...defaultDomainConfig, stopOlderDuplicates: true };
    const resumed = playWorkflow({
      name: 'play-new',
      at: 1,
      created: '2019-05-01T10:00:00Z',
      annotations: { 'resume.workflows.dev/waiting-pr-created': `ci/${request.metadata.name}/${UID}` },
    });
    const older = playWorkflow({ name: 'play-old', at: 0 });
    expect(decideFor(request, [older, resumed], { config })).toMatchObject({
      reason: Reason.ResumedByThisRequest,
      followUps: { stopWorkflows: [{ name: 'play-old', uid: 'uid-play-old' }] },
    });
  });

  it('does not take the resume of an earlier request of the same name (another uid) for its own', () => {
    const request = prOpened();
    const earlier = `ci/${request.metadata.name}/an-earlier-uid`;
    const oldRun = playWorkflow({
      name: 'play-run-1',
      at: 1,
      annotations: { 'resume.workflows.dev/waiting-pr-created': earlier },
    });
    const newRun = playWorkflow({ name: 'play-run-2', at: 0, created: '2019-05-02T09:00:00Z' });
    expect(decideFor(request, [oldRun, newRun])).toMatchObject({
      action: 'resume',
      workflowName: 'play-run-2',
    });
    expect(decideFor(request, [oldRun])).toMatchObject({
      reason: Reason.AlreadyResumed,
      message: expect.stringContaining(`(resumed by ResumeRequest ci/${request.metadata.name})`),
    });
  });

  it('still says AlreadyResumed when the marker names another request', () => {
    const workflow = playWorkflow({
      at: 1,
      annotations: { 'resume.workflows.dev/waiting-pr-created': 'ci/someone-else' },
    });
    expect(decideFor(prOpened(), [workflow])).toMatchObject({ reason: Reason.AlreadyResumed });
  });

  it('succeeds from the marker even after the workflow has completed', () => {
    const request = prOpened();
    const workflow = playWorkflow({
      at: 3,
      phase: 'Succeeded',
      annotations: { 'resume.workflows.dev/waiting-pr-created': `ci/${request.metadata.name}/${UID}` },
    });
    expect(decideFor(request, [workflow])).toMatchObject({
      phase: 'Succeeded',
      reason: Reason.ResumedByThisRequest,
    });
  });

  it('ignores an event older than the workflow by more than the clock skew it tolerates', () => {
    const workflow = playWorkflow({ created: '2019-05-15T15:20:39Z' });
    expect(decideFor(prOpened(), [workflow])).toEqual({
      action: 'complete',
      phase: 'Ignored',
      reason: Reason.EventPredatesWorkflow,
      message:
        'the event (2019-05-15T15:20:33Z) is older than workflow play-42-abcde (2019-05-15T15:20:39Z); it belongs to an earlier run',
      workflowName: 'play-42-abcde',
    });
    // Five seconds by default: GitHub's clock and the cluster's need not agree to the second.
    const justAfter = playWorkflow({ created: '2019-05-15T15:20:38Z' });
    expect(decideFor(prOpened(), [justAfter])).toMatchObject({ action: 'resume' });
    const strict = { ...defaultDomainConfig, clockSkewSeconds: 0 };
    expect(decideFor(prOpened(), [justAfter], { config: strict })).toMatchObject({
      reason: Reason.EventPredatesWorkflow,
    });
  });

  it('refuses an event older than the end of the stage’s previous visit: it must not resume the next one', () => {
    const looped = () => {
      const workflow = playWorkflow({ at: 1 });
      const again = { ...suspendNode(workflow.metadata.name, 1, 'Running'), id: 'qa-again' };
      const first = nodeAt(workflow, 1);
      first.phase = 'Succeeded';
      first.startedAt = '2019-05-15T15:00:00Z';
      first.finishedAt = '2019-05-15T15:30:00Z';
      again.startedAt = '2019-05-15T15:40:00Z';
      workflow.status!.nodes![again.id] = again;
      return workflow;
    };
    // The label event (updated_at 15:20:35) came while the first visit waited.
    expect(decideFor(readyForQa(), [looped()])).toEqual({
      action: 'complete',
      phase: 'Ignored',
      reason: Reason.EventPredatesVisit,
      message:
        'workflow play-42-abcde waits at waiting-ready-for-qa again (wait-ready-for-qa), but the event ' +
        "(2019-05-15T15:20:35Z) is older than the end of the stage's previous visit (2019-05-15T15:30:00Z); it belonged to that visit",
      workflowName: 'play-42-abcde',
    });
    // One after that visit ended is this visit's, even before the node started.
    const later = readyForQa();
    later.spec.github!.occurredAt = '2019-05-15T15:35:00Z';
    expect(decideFor(later, [looped()])).toMatchObject({ action: 'resume', nodeId: 'qa-again' });
  });

  it('fails on offloaded node status at or past the stage, naming the argo-server backend', () => {
    const workflow = playWorkflow({ at: 0 });
    delete workflow.status!.nodes;
    workflow.status!.offloadNodeStatusVersion = 'fnv:123';
    const decision = decideFor(prOpened(), [workflow]);
    expect(decision).toMatchObject({ phase: 'Failed', reason: Reason.OffloadedNodeStatus });
    expect((decision as { message: string }).message).toContain('argo-server backend');
  });

  it('waits, and looks again soon, on node status argo-server could not give, until the deadline', () => {
    const workflow = playWorkflow({ at: 0 });
    workflow.status = { phase: 'Running', offloadNodeStatusVersion: 'fnv:123' };
    workflow.projection = { bytes: 0, nodesBytes: 0, unavailable: 'argo-server answered HTTP 503' };
    expect(decideFor(prOpened(), [workflow])).toMatchObject({
      action: 'wait',
      reason: Reason.NodeStatusUnavailable,
      message: 'argo-server answered HTTP 503',
      retryInMs: UNAVAILABLE_RETRY_MS,
    });
    const late = new Date(Date.parse('2019-05-15T15:21:00Z') + 3600_000);
    expect(decideFor(prOpened(), [workflow], { now: late })).toMatchObject({
      phase: 'Failed',
      reason: Reason.NodeStatusUnavailable,
    });
    // Another run of the task that can be read is decided as usual.
    const older = playWorkflow({ name: 'play-42-old', at: 0, created: '2019-04-01T09:00:00Z' });
    workflow.metadata.creationTimestamp = '2019-04-01T08:00:00Z';
    expect(decideFor(prOpened(), [workflow, older])).toMatchObject({
      action: 'resume',
      workflowName: 'play-42-old',
    });
  });

  it('waits on an offloaded workflow whose label says it is at an earlier stage', () => {
    const workflow = playWorkflow({ at: 0 });
    workflow.status!.offloadNodeStatusVersion = 'fnv:123';
    expect(decideFor(approved(), [workflow])).toMatchObject({
      action: 'wait',
      reason: Reason.StageNotReached,
    });
  });

  it('fails on a compressed node map that cannot be read', () => {
    const workflow = playWorkflow({ at: 0 });
    delete workflow.status!.nodes;
    workflow.status!.compressedNodes = 'bm90IGd6aXA=';
    expect(decideFor(prOpened(), [workflow])).toMatchObject({
      phase: 'Failed',
      reason: Reason.InvalidCompressedNodes,
    });
  });
});

describe('validation rules', () => {
  const withRules = (validationRules: unknown[]) => {
    const request = prOpened();
    request.spec.validationRules = validationRules as ResumeRequest['spec']['validationRules'];
    request.spec.eventPayload = { 'pull_request.base.ref': 'main' };
    return request;
  };

  it('resumes when every rule holds', () => {
    const request = withRules([
      { field: 'event.pull_request.base.ref', operator: 'Equals', value: 'main' },
      { field: 'github.sender', operator: 'In', values: ['Codertocat'] },
      { field: "workflow.metadata.labels['task-id']", operator: 'Matches', value: '^[0-9]+$' },
    ]);
    const workflow = playWorkflow();
    // Workflow rules read the workflow whole: first the decision asks for it, as the cache saw it.
    expect(decideFor(request, [workflow])).toEqual({
      action: 'read',
      workflowName: 'play-42-abcde',
      workflowUid: workflow.metadata.uid,
      resourceVersion: workflow.metadata.resourceVersion,
    });
    expect(decideFor(request, [workflow], { whole: workflow }).action).toBe('resume');
  });

  it('reads nothing whole for a request whose workflow is not ready to resume', () => {
    const request = withRules([{ field: "workflow.metadata.labels['team']", operator: 'Exists' }]);
    expect(decideFor(request, [playWorkflow({ at: 1 })]).action).toBe('complete');
    expect(decideFor(request, [playWorkflow({ at: -1 })]).action).toBe('wait');
  });

  it('fails a request whose own rules fail before looking at workflows', () => {
    const request = withRules([
      { field: 'event.pull_request.base.ref', operator: 'Equals', value: 'release' },
      { field: 'github.sender', operator: 'NotIn', values: ['Codertocat'], message: 'no self-approval' },
    ]);
    expect(decideFor(request, [])).toEqual({
      action: 'complete',
      phase: 'Failed',
      reason: Reason.ValidationFailed,
      message: 'the request fails 2 validation rule(s); nothing was resumed',
      validationErrors: [
        'event.pull_request.base.ref is "main", not "release"',
        'github.sender: no self-approval (is "Codertocat")',
      ],
    });
  });

  it('fails on workflow rules against the workflow it would resume', () => {
    const request = withRules([{ field: "workflow.metadata.labels['team']", operator: 'Exists' }]);
    expect(decideFor(request, [playWorkflow()], { whole: playWorkflow() })).toMatchObject({
      action: 'complete',
      phase: 'Failed',
      reason: Reason.ValidationFailed,
      workflowName: 'play-42-abcde',
      validationErrors: ["workflow.metadata.labels['team'] is missing"],
    });
  });
});
