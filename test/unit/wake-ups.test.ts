// The wake-up mapping: which requests a workflow change wakes, from the moment a request is seen.
import type { ResumeRequest } from '../../src/api/resume-request.js';
import { WakeUps, requestTask } from '../../src/controller/wake-ups.js';
import { defaultDomainConfig } from '../../src/domain/config.js';
import { playWorkflow } from '../fixtures/play-workflows.js';
import { approvalBy } from '../fixtures/github/payloads.js';
import { requestFromWebhook, withHeadRef } from '../fixtures/github-requests.js';

function request(name: string, spec: ResumeRequest['spec'], status?: ResumeRequest['status']): ResumeRequest {
  return {
    apiVersion: 'resume.workflows.dev/v1alpha1',
    kind: 'ResumeRequest',
    metadata: { name, namespace: 'ns', generation: 1 },
    spec,
    ...(status ? { status } : {}),
  };
}

const github = (headRef: string): ResumeRequest['spec'] => ({
  github: {
    deliveryId: 'd-1',
    event: 'pull_request',
    action: 'opened',
    headRef,
    occurredAt: '2026-01-01T10:00:00Z',
  },
  repository: 'acme/app',
  prNumber: 7,
});

const workflow = (name: string, taskId: string, namespace = 'ns') =>
  playWorkflow({ name, namespace, taskId, at: 0 });

describe('requestTask', () => {
  it('takes the task from the status, else from spec.taskId, else from the GitHub facts', () => {
    expect(requestTask(request('a', { taskId: '1' }, { taskId: '9' }), defaultDomainConfig)).toBe('9');
    expect(requestTask(request('a', { taskId: '1', eventType: 'pr-created' }), defaultDomainConfig)).toBe(
      '1',
    );
    expect(requestTask(request('a', github('feature/task-42-login')), defaultDomainConfig)).toBe('42');
  });

  it('names no task when nothing in the request does', () => {
    expect(
      requestTask(request('a', { workflowName: 'wf', eventType: 'pr-created' }), defaultDomainConfig),
    ).toBe(undefined);
  });
});

describe('WakeUps', () => {
  it('wakes a request built from GitHub facts as soon as it is seen, before any status is written', () => {
    const wakeUps = new WakeUps(defaultDomainConfig);
    wakeUps.requestSeen(request('gh', github('task-42')));
    expect(wakeUps.workflowChanged(workflow('play-42', '42'), undefined)).toEqual(['ns/gh']);
  });

  it('wakes only the requests of the workflow’s task, in its namespace', () => {
    const wakeUps = new WakeUps(defaultDomainConfig);
    wakeUps.requestSeen(request('a', { taskId: '42' }));
    wakeUps.requestSeen(request('b', { taskId: '43' }));
    expect(wakeUps.workflowChanged(workflow('play-42', '42'), undefined)).toEqual(['ns/a']);
    expect(wakeUps.workflowChanged(workflow('play-42', '42', 'other'), undefined)).toEqual([]);
  });

  it('wakes the requests of both tasks when a workflow’s task label moves, and of its last task when it is deleted', () => {
    const wakeUps = new WakeUps(defaultDomainConfig);
    wakeUps.requestSeen(request('a', { taskId: '42' }));
    wakeUps.requestSeen(request('b', { taskId: '43' }));
    const before = workflow('play', '42');
    const after = workflow('play', '43');
    expect(wakeUps.workflowChanged(after, before).sort()).toEqual(['ns/a', 'ns/b']);
    expect(wakeUps.workflowsOfTask('ns', '43')).toEqual(['play']);
    expect(wakeUps.workflowsOfTask('ns', '42')).toEqual([]);
    expect(wakeUps.workflowChanged(undefined, after)).toEqual(['ns/b']);
    expect(wakeUps.workflowsOfTask('ns', '43')).toEqual([]);
  });

  it('wakes a request that names its workflow and no task by that workflow', () => {
    const wakeUps = new WakeUps(defaultDomainConfig);
    wakeUps.requestSeen(request('named', { workflowName: 'play-x', eventType: 'pr-created' }));
    expect(wakeUps.workflowChanged(workflow('play-x', '99'), undefined)).toEqual(['ns/named']);
    expect(wakeUps.workflowChanged(workflow('play-y', '99'), undefined)).toEqual([]);
  });

  it('stops waking a request once it settles, is seen finished, or is deleted', () => {
    const wakeUps = new WakeUps(defaultDomainConfig);
    wakeUps.requestSeen(request('a', { taskId: '42' }));
    wakeUps.requestSeen(request('b', { taskId: '42' }));
    wakeUps.requestSeen(request('c', { taskId: '42' }));
    wakeUps.requestSettled('ns/a');
    wakeUps.requestSeen(request('b', { taskId: '42' }, { phase: 'Succeeded', taskId: '42' }));
    expect(wakeUps.workflowChanged(workflow('play', '42'), undefined)).toEqual(['ns/c']);
  });

  it('moves a request to its new task when its spec changes', () => {
    const wakeUps = new WakeUps(defaultDomainConfig);
    wakeUps.requestSeen(request('a', { taskId: '42' }));
    wakeUps.requestSeen({
      ...request('a', { taskId: '43' }),
      metadata: { name: 'a', namespace: 'ns', generation: 2 },
    });
    expect(wakeUps.workflowChanged(workflow('p42', '42'), undefined)).toEqual([]);
    expect(wakeUps.workflowChanged(workflow('p43', '43'), undefined)).toEqual(['ns/a']);
  });

  it('keeps the approval gate’s index of reviews per namespace, task and stage, each read once', () => {
    const wakeUps = new WakeUps(defaultDomainConfig);
    const review = (name: string, login: string, branch: string, namespace = 'ns') =>
      requestFromWebhook(
        { event: 'pull_request_review', payload: withHeadRef(approvalBy(login, 'MEMBER'), branch) },
        { name, namespace },
      );
    expect(wakeUps.requestSeen(review('alice-1', 'alice', 'task-42'))).toEqual([]);
    expect(wakeUps.requestSeen(review('bob-1', 'bob', 'task-42'))).toEqual([]);
    wakeUps.requestSeen(review('carol-1', 'carol', 'task-43'));
    wakeUps.requestSeen(review('dave-1', 'dave', 'task-42', 'other'));
    wakeUps.requestSeen(request('explicit', { taskId: '42', eventType: 'pr-approved' }));
    const logins = (namespace: string, task: string) =>
      wakeUps
        .reviewsOf(namespace, task, 'waiting-pr-approved')
        .map((r) => r.login)
        .sort();
    expect(logins('ns', '42')).toEqual(['alice', 'bob']);
    expect(logins('ns', '43')).toEqual(['carol']);
    expect(logins('other', '42')).toEqual(['dave']);
    expect(wakeUps.reviewsOf('ns', '42', 'waiting-ready-for-qa')).toEqual([]);
    // A second review of an account wakes that account's other reviews (it may supersede them),
    // not the task's other requests; a resync of a known one wakes nothing.
    expect(wakeUps.requestSeen(review('alice-2', 'alice', 'task-42'))).toEqual(['ns/alice-1']);
    expect(wakeUps.requestSeen(review('alice-2', 'alice', 'task-42'))).toEqual([]);
    wakeUps.requestSettled('ns/alice-1');
    wakeUps.requestSeen({ ...review('bob-1', 'bob', 'task-42'), status: { phase: 'Succeeded' } });
    expect(logins('ns', '42')).toEqual(['alice']);
  });

  it('tells reviewers without an account id (an earlier Sensor’s requests) apart by login', () => {
    const wakeUps = new WakeUps(defaultDomainConfig);
    const byLogin = (name: string, login: string) => {
      const made = requestFromWebhook(
        { event: 'pull_request_review', payload: withHeadRef(approvalBy(login, 'MEMBER'), 'task-42') },
        { name },
      );
      delete made.spec.github!.reviewerId;
      return made;
    };
    expect(wakeUps.requestSeen(byLogin('carl-1', 'carl'))).toEqual([]);
    expect(wakeUps.requestSeen(byLogin('dora-1', 'dora'))).toEqual([]);
    expect(wakeUps.requestSeen(byLogin('carl-2', 'Carl'))).toEqual(['ci/carl-1']);
  });
});
