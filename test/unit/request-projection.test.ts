import { projectRequest } from '../../src/controller/request-projection.js';

const raw = {
  apiVersion: 'resume.workflows.dev/v1alpha1',
  kind: 'ResumeRequest',
  metadata: {
    name: 'gh-1',
    namespace: 'team-a',
    uid: 'u-1',
    resourceVersion: '42',
    generation: 1,
    creationTimestamp: '2026-01-01T00:00:00Z',
    labels: { 'events.argoproj.io/sensor': 'github' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': 'x'.repeat(100_000) },
    managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:spec': {} } }],
  },
  spec: {
    github: { event: 'pull_request', action: 'opened', headRef: 'task-1' },
    eventPayload: { pull_request: { body: 'y'.repeat(1_000_000) } },
    validationRules: [{ field: 'github.sender', operator: 'Exists' }],
  },
  status: { phase: 'Waiting', reason: 'StageNotReached', taskId: '1' },
};

describe('the request cache projection', () => {
  const projected = projectRequest(raw);

  it('keeps what wake-ups and decisions read', () => {
    expect(projected.metadata).toEqual({
      name: 'gh-1',
      namespace: 'team-a',
      uid: 'u-1',
      resourceVersion: '42',
      generation: 1,
      creationTimestamp: '2026-01-01T00:00:00Z',
    });
    expect(projected.spec.github).toEqual(raw.spec.github);
    expect(projected.spec.validationRules).toEqual(raw.spec.validationRules);
    expect(projected.status).toEqual(raw.status);
  });

  it('drops what a tenant can make large: managed fields, annotations, the event payload', () => {
    expect(JSON.stringify(projected).length).toBeLessThan(1000);
    expect(projected.spec.eventPayload).toBeUndefined();
    expect(raw.spec.eventPayload).toBeDefined();
  });

  it('keeps of a finished request only what its TTL and the indexes read', () => {
    const finished = projectRequest({
      ...raw,
      status: {
        phase: 'Succeeded',
        reason: 'Resumed',
        taskId: '1',
        message: 'resuming wait-pr-created of workflow play-1 for pr-created',
        candidates: ['play-1'],
        conditions: [{ type: 'Ready', status: 'True', reason: 'Resumed', message: 'done' }],
        completionTime: '2026-01-01T00:01:00Z',
      },
    });
    expect(finished.metadata).toEqual(projected.metadata);
    expect(finished.spec).toEqual({});
    expect(finished.status).toEqual({
      phase: 'Succeeded',
      reason: 'Resumed',
      taskId: '1',
      completionTime: '2026-01-01T00:01:00Z',
    });
  });
});
