import type { ResumeRequest } from '../../src/api/resume-request.js';
import { checkInvariants, countViolations, sentRequests } from '../../soak/invariants.js';
import type { RequestRecord, RunRecord } from '../../soak/ledger.js';
import { playWorkflow } from '../fixtures/play-workflows.js';

const EVENT_TYPES = ['pr-created', 'pr-labeled-ready', 'pr-approved'];
const MARKERS = ['waiting-pr-created', 'waiting-ready-for-qa', 'waiting-pr-approved'].map(
  (stage) => `resume.workflows.dev/${stage}`,
);

function request(
  name: string,
  stage: number,
  status: Partial<NonNullable<ResumeRequest['status']>> | undefined,
  repository = 'Codertocat/Hello-World',
): ResumeRequest {
  return {
    apiVersion: 'resume.workflows.dev/v1alpha1',
    kind: 'ResumeRequest',
    metadata: { name, namespace: 'soak' },
    spec: { repository },
    ...(status ? { status: { eventType: EVENT_TYPES[stage], ...status } } : {}),
  } as ResumeRequest;
}

const succeeded = (workflowName: string) =>
  ({ phase: 'Succeeded', reason: 'Resumed', workflowName }) as const;
const ignored = { phase: 'Ignored', reason: 'AlreadyResumed' } as const;

/** A live run of task 7 at stage `at`, every passed stage marked as resumed by `markers[i]`. */
function run(at: number, markers: string[], name = 'soak-7-a') {
  const annotations = Object.fromEntries(markers.map((marker, i) => [MARKERS[i]!, `soak/${marker}`]));
  return playWorkflow({
    name,
    namespace: 'soak',
    taskId: '7',
    at,
    stageLabel: null,
    labels: { repository: 'codertocat.hello-world' },
    annotations,
  });
}

const runs = new Map<string, RunRecord>([['soak-7-a', { task: '7', live: true }]]);
const sent = (entries: [string, number, RequestRecord['kind'], boolean?][]) =>
  new Map<string, RequestRecord>(
    entries.map(([name, stage, kind, deleted]) => [
      name,
      { task: '7', run: 'soak-7-a', stage, kind, deleted: deleted ?? false },
    ]),
  );

describe('the soak invariants', () => {
  it('count a valid delivery the EventSource acknowledged and no request carries as lost, even when its stage moved on', () => {
    const answered = new Map([
      ['d-1', { task: '7', run: 'soak-7-a', stage: 0, kind: 'valid' as const, deliveryId: 'd-1' }],
      ['d-2', { task: '7', run: 'soak-7-a', stage: 0, kind: 'duplicate' as const, deliveryId: 'd-2' }],
      ['d-3', { task: '7', run: 'soak-7-a', stage: 1, kind: 'unrelated-label' as const, deliveryId: 'd-3' }],
    ]);
    const carrying = { ...request('gh-d-1-x7k2p', 0, succeeded('soak-7-a')) };
    carrying.spec = { ...carrying.spec, github: { deliveryId: 'd-1' } } as ResumeRequest['spec'];
    const requests = [carrying];
    const result = checkInvariants({
      runs,
      sent: sentRequests(new Map(), answered, requests),
      workflows: [run(1, ['gh-d-1-x7k2p'])],
      requests,
      answered,
    });
    // d-1 became the request that resumed the stage; d-3 was rightly filtered out; d-2 is gone.
    expect(result.violations).toEqual([
      expect.objectContaining({ kind: 'lost', stage: 'waiting-pr-created', requests: ['delivery d-2'] }),
    ]);
  });

  it('hold for a run whose every stage was resumed once by a valid event, duplicates ignored', () => {
    const result = checkInvariants({
      runs,
      sent: sent([
        ['a', 0, 'valid'],
        ['b', 1, 'valid'],
        ['c', 2, 'manual'],
        ['d', 2, 'duplicate'],
        ['e', 1, 'deleted', true],
        ['f', 0, 'foreign-repository'],
      ]),
      workflows: [run(3, ['a', 'b', 'c'])],
      requests: [
        request('a', 0, succeeded('soak-7-a')),
        request('b', 1, succeeded('soak-7-a')),
        request('c', 2, succeeded('soak-7-a')),
        request('d', 2, ignored),
        // Waiting for a workflow of its own repository, which does not exist: rightly waiting.
        request('f', 0, { phase: 'Waiting', reason: 'WorkflowNotFound' }, 'outsider/Hello-World'),
      ],
    });
    expect(result).toEqual({ resumes: 3, violations: [] });
  });

  it('count a stage never resumed although a valid event arrived as lost, and its waiting request as stuck', () => {
    const result = checkInvariants({
      runs,
      sent: sent([
        ['a', 0, 'valid'],
        ['b', 1, 'valid'],
      ]),
      workflows: [run(1, ['a'])],
      requests: [
        request('a', 0, succeeded('soak-7-a')),
        request('b', 1, { phase: 'Waiting', reason: 'StageNotReached' }),
      ],
    });
    expect(result.violations).toEqual([
      expect.objectContaining({
        kind: 'lost',
        task: '7',
        stage: 'waiting-ready-for-qa',
        workflow: 'soak-7-a',
        requests: ['b'],
        detail: expect.stringContaining('b Waiting StageNotReached'),
      }),
      expect.objectContaining({ kind: 'stuck', requests: ['b'] }),
    ]);
    expect(countViolations(result.violations)).toEqual({
      double_resumes: 0,
      lost: 1,
      stuck: 1,
      wrongly_advanced: 0,
    });
  });

  it('count only the earliest stage that should have moved: later events wait while an earlier one never arrived', () => {
    // The first stage's delivery was never answered with success (not sent), so the labeled and
    // the approval rightly wait at a stage the run cannot reach.
    const unanswered = checkInvariants({
      runs,
      sent: sent([
        ['b', 1, 'valid'],
        ['c', 2, 'valid'],
      ]),
      workflows: [run(0, [])],
      requests: [
        request('b', 1, { phase: 'Waiting', reason: 'StageNotReached' }),
        request('c', 2, { phase: 'Waiting', reason: 'StageNotReached' }),
      ],
    });
    expect(unanswered).toEqual({ resumes: 0, violations: [] });
    // Its event arrived and the stage never moved: that stage is lost, and only that one.
    const lost = checkInvariants({
      runs,
      sent: sent([
        ['a', 0, 'valid'],
        ['b', 1, 'valid'],
        ['c', 2, 'valid'],
      ]),
      workflows: [run(0, [])],
      requests: [
        request('a', 0, { phase: 'Waiting', reason: 'StageNotReached' }),
        request('b', 1, { phase: 'Waiting', reason: 'StageNotReached' }),
        request('c', 2, { phase: 'Waiting', reason: 'StageNotReached' }),
      ],
    });
    expect(lost.violations.filter((v) => v.kind === 'lost')).toEqual([
      expect.objectContaining({ stage: 'waiting-pr-created', requests: ['a'] }),
    ]);
  });

  it('name a stage that two requests say they resumed as a double resume', () => {
    const result = checkInvariants({
      runs,
      sent: sent([
        ['a', 0, 'valid'],
        ['d', 0, 'duplicate'],
      ]),
      workflows: [run(1, ['a'])],
      requests: [request('a', 0, succeeded('soak-7-a')), request('d', 0, succeeded('soak-7-a'))],
    });
    expect(result.violations).toEqual([
      expect.objectContaining({ kind: 'double', stage: 'waiting-pr-created', requests: ['a', 'd'] }),
    ]);
  });

  it('name one request that resumed the stage of two runs as a double resume', () => {
    const result = checkInvariants({
      runs: new Map([...runs, ['soak-7-b', { task: '7', live: false }]]),
      sent: sent([['a', 0, 'valid']]),
      workflows: [run(1, ['a']), run(1, ['a'], 'soak-7-b')],
      requests: [request('a', 0, succeeded('soak-7-a'))],
    });
    expect(result.violations).toContainEqual(
      expect.objectContaining({ kind: 'double', requests: ['a'], workflow: 'soak-7-a, soak-7-b' }),
    );
  });

  it('name a stage advanced by an event policy must refuse', () => {
    const result = checkInvariants({
      runs,
      sent: sent([
        ['x', 0, 'fork'],
        ['a', 0, 'valid'],
      ]),
      workflows: [run(1, ['x'])],
      requests: [request('x', 0, succeeded('soak-7-a')), request('a', 0, ignored)],
    });
    expect(result.violations).toEqual([
      expect.objectContaining({ kind: 'wrongly_advanced', stage: 'waiting-pr-created', requests: ['x'] }),
    ]);
  });

  it('name a request whose status contradicts the marker, counted with stuck', () => {
    const result = checkInvariants({
      runs,
      sent: sent([
        ['a', 0, 'valid'],
        ['b', 1, 'valid'],
      ]),
      workflows: [run(2, ['a', 'b'])],
      requests: [request('a', 0, ignored), request('b', 1, succeeded('soak-7-a'))],
    });
    expect(result.violations).toEqual([
      expect.objectContaining({ kind: 'contradiction', requests: ['a'] }),
      // Stage 2 waits and no event for it was sent: nothing is lost.
    ]);
    expect(countViolations(result.violations).stuck).toBe(1);
  });

  it('accept a marker naming a request deleted mid-flight, but not one that vanished', () => {
    const deleted = checkInvariants({
      runs,
      sent: sent([['e', 0, 'deleted', true]]),
      workflows: [run(1, ['e'])],
      requests: [],
    });
    expect(deleted.violations).toEqual([]);
    const vanished = checkInvariants({
      runs,
      sent: sent([['a', 0, 'valid']]),
      workflows: [run(1, ['a'])],
      requests: [],
    });
    expect(vanished.violations).toEqual([
      expect.objectContaining({ kind: 'contradiction', requests: ['a'] }),
    ]);
  });
});
