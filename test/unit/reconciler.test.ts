// The reconciler's turns, one scenario each, with its ports (request store, workflow source,
// status writer, events, backend) as in-memory recorders: what it writes, what it calls, and
// when it asks to look again. Its Kubernetes side is tested against the real plane in
// test/integration; here only its own logic is.
import type { ResumeRequest, ResumeRequestStatus } from '../../src/api/resume-request.js';
import type { Workflow } from '../../src/api/workflow.js';
import type { ResumeBackend, ResumeResult, ResumeTarget } from '../../src/backends/backend.js';
import { offloadedNodesReader } from '../../src/controller/offloaded-nodes.js';
import { MAX_STALLED_TURNS, Reconciler, type ReconcilerContext } from '../../src/controller/reconciler.js';
import { projectWorkflow } from '../../src/controller/workflow-projection.js';
import { defaultDomainConfig } from '../../src/domain/config.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { BreakerRegistry } from '../../src/resilience/breakers.js';
import { playWorkflow } from '../fixtures/play-workflows.js';
import * as github from '../fixtures/github/payloads.js';
import { requestFromWebhook, reviewFrom, withHeadRef } from '../fixtures/github-requests.js';
import type { Review } from '../../src/domain/reviews.js';

const now = new Date('2026-01-01T10:00:10Z');
const created = '2026-01-01T10:00:00Z';

function request(status?: ResumeRequestStatus): ResumeRequest {
  return {
    apiVersion: 'resume.workflows.dev/v1alpha1',
    kind: 'ResumeRequest',
    metadata: {
      name: 'rr',
      namespace: 'ns',
      uid: 'u1',
      resourceVersion: '7',
      generation: 1,
      creationTimestamp: created,
    },
    spec: { taskId: '42', eventType: 'pr-created' },
    ...(status ? { status } : {}),
  };
}

type Step = ResumeResult | Error;

function harness(options: {
  request: ResumeRequest | undefined;
  workflows?: Workflow[];
  backend?: Step[];
  maxAttempts?: number;
  stopOlderDuplicates?: boolean;
  hydrate?: (namespace: string, name: string) => Promise<Workflow>;
  /** What a whole read of a workflow answers; `workflows` when absent. */
  whole?: Workflow[];
  reviews?: Review[];
  /** Both default to on here, so every Event a turn may record is seen. */
  succeededEvents?: boolean;
  workflowEvents?: boolean;
}) {
  const writes: ResumeRequestStatus[] = [];
  const stopped: string[] = [];
  const events: string[] = [];
  const targets: ResumeTarget[] = [];
  const deleted: string[] = [];
  const reads: string[] = [];
  const steps = [...(options.backend ?? [])];
  const backend: ResumeBackend = {
    name: 'test',
    resume: async (target) => {
      targets.push(target);
      const step = steps.shift();
      if (!step) throw new Error('unexpected backend call');
      if (step instanceof Error) throw step;
      return step;
    },
    stop: async (_namespace, name) => void stopped.push(name),
    ...(options.hydrate ? { hydrate: options.hydrate } : {}),
  };
  const context: ReconcilerContext = {
    domain: { ...defaultDomainConfig, stopOlderDuplicates: options.stopOlderDuplicates ?? false },
    retry: {
      maxAttempts: options.maxAttempts ?? 3,
      initialDelayMs: 2000,
      maxDelayMs: 30_000,
      multiplier: 2,
      jitter: 0,
    },
    halfOpenAfterMs: 10_000,
    workflowEvents: options.workflowEvents ?? true,
    succeededEvents: options.succeededEvents ?? true,
    ttlSecondsAfterFinished: 60,
    maxWaitRecheckMs: 300_000,
    requests: {
      get: async () => options.request,
      delete: async (r) => void deleted.push(r.metadata.name!),
      reviewsOf: () => options.reviews ?? [],
    },
    workflows: {
      candidates: () => options.workflows ?? [],
      readOne: async (_namespace, name) => {
        reads.push(name);
        return (options.whole ?? options.workflows)?.find((w) => w.metadata.name === name);
      },
      complete: offloadedNodesReader(backend, (whole) =>
        projectWorkflow(whole, defaultDomainConfig, {
          maxNodes: 100,
          maxInflatedBytes: 1 << 20,
          maxBytes: 1 << 20,
        }),
      ),
    },
    statusWriter: { write: async (_r, status) => (writes.push(status), request(status)) },
    events: { record: async (_target, type, reason) => void events.push(`${type} ${reason}`) },
    backend,
    breakers: new BreakerRegistry({
      consecutiveFailures: 5,
      halfOpenAfterMs: 10_000,
      workflowCapacity: 10,
      attemptTimeoutMs: 1000,
    }),
    metrics: createMetrics({ defaultMetrics: false }),
    logger: silentLogger(),
    now: () => now,
  };
  const reconciler = new Reconciler(context);
  return {
    reconcile: (stalledTurns = 0) => reconciler.reconcile({ key: 'ns/rr', stalledTurns }),
    writes,
    events,
    targets,
    deleted,
    stopped,
    reads,
  };
}

const waiting = () => playWorkflow({ namespace: 'ns', taskId: '42', at: 0, created });

/** Two runs of task 42: play-old, waiting at the first stage, and play-new as `newer` says. */
const twoRuns = (newer: Parameters<typeof playWorkflow>[0]): [Workflow, Workflow] => [
  playWorkflow({ name: 'play-old', namespace: 'ns', taskId: '42', at: 0, created: '2026-01-01T09:00:00Z' }),
  playWorkflow({ name: 'play-new', namespace: 'ns', taskId: '42', created, ...newer }),
];
const httpError = (code: number) => Object.assign(new Error(`HTTP ${code}`), { code });

const approvalBy = (login: string, name: string) =>
  requestFromWebhook(
    { event: 'pull_request_review', payload: withHeadRef(github.approvalBy(login, 'MEMBER'), 'task-42') },
    { name, namespace: 'ns', deliveryId: `${name}-0000-4000-8000-000000000000` },
  );

describe('Reconciler', () => {
  it('counts the task’s other unsettled approvals at an approval gate', async () => {
    const gated = playWorkflow({
      namespace: 'ns',
      at: 2,
      created: '2019-05-01T00:00:00Z',
      labels: { repository: 'codertocat.hello-world' },
      annotations: { 'resume.workflows.dev/required-approvals': '2' },
    });
    const alone = harness({ request: approvalBy('bob', 'b'), workflows: [gated] });
    await alone.reconcile();
    expect(alone.targets).toEqual([]);
    expect(alone.writes[0]).toMatchObject({ phase: 'Waiting', reason: 'ApprovalsPending' });

    const alice = { ...approvalBy('alice', 'a'), status: { phase: 'Waiting' as const, taskId: '42' } };
    const counted = harness({
      request: approvalBy('bob', 'b'),
      workflows: [gated],
      reviews: [reviewFrom(alice)],
      backend: [{ outcome: 'resumed' }],
    });
    await counted.reconcile();
    expect(counted.targets).toHaveLength(1);
    expect(counted.writes[0]).toMatchObject({
      phase: 'Succeeded',
      message: expect.stringContaining('approved by alice, bob (2 of 2)'),
    });
  });

  it('does nothing for a request that no longer exists', async () => {
    const h = harness({ request: undefined });
    expect(await h.reconcile()).toEqual({ kind: 'done' });
    expect(h.writes).toEqual([]);
  });

  it('decides again, with backoff, when the backend read a newer workflow than the cache', async () => {
    const h = harness({
      request: request(),
      workflows: [waiting()],
      backend: [{ outcome: 'stale', detail: 'workflow play changed since the decision' }],
    });
    expect(await h.reconcile()).toEqual({
      kind: 'decide-again',
      detail: 'workflow play changed since the decision',
    });
    expect(h.writes).toEqual([]);
  });

  it('resumes the waiting node once and records success, the resumed node and the attempt', async () => {
    const workflow = waiting();
    const h = harness({
      request: request(),
      workflows: [workflow],
      backend: [{ outcome: 'resumed' }],
    });
    const result = await h.reconcile();
    expect(h.targets).toHaveLength(1);
    expect(h.targets[0]).toMatchObject({
      namespace: 'ns',
      workflowName: workflow.metadata.name,
      workflowUid: workflow.metadata.uid,
      resourceVersion: workflow.metadata.resourceVersion,
      markerKey: 'resume.workflows.dev/waiting-pr-created',
      markerValue: 'ns/rr/u1',
    });
    // The backend may build its write from the copy the decision was made on.
    expect(h.targets[0]!.decidedOn).toBe(workflow);
    expect(h.writes).toHaveLength(1);
    expect(h.writes[0]).toMatchObject({
      phase: 'Succeeded',
      reason: 'Resumed',
      attempts: 1,
      taskId: '42',
      eventType: 'pr-created',
      workflowName: workflow.metadata.name,
      resumedNode: 'wait-pr-created',
      observedGeneration: 1,
      resumeTime: now.toISOString(),
      completionTime: now.toISOString(),
    });
    expect(h.events).toEqual(['Normal Resumed', 'Normal Resumed']);
    expect(result).toEqual({ kind: 'settled', expireAfterMs: 60_000 });
  });

  it('by default records no Event for a request that succeeded, and always one for a refusal', async () => {
    const quiet = { succeededEvents: false, workflowEvents: false };
    const resumed = harness({
      ...quiet,
      request: request(),
      workflows: [waiting()],
      backend: [{ outcome: 'resumed' }],
    });
    await resumed.reconcile();
    expect(resumed.writes).toEqual([expect.objectContaining({ phase: 'Succeeded', reason: 'Resumed' })]);
    expect(resumed.events).toEqual([]);

    const refused = harness({
      ...quiet,
      request: request(),
      workflows: [waiting()],
      backend: [{ outcome: 'rejected', reason: 'UnexpectedParameter', message: 'no such parameter' }],
    });
    await refused.reconcile();
    expect(refused.events).toEqual(['Warning UnexpectedParameter']);

    const early = harness({ ...quiet, request: request() });
    await early.reconcile();
    expect(early.events).toEqual(['Normal WorkflowNotFound']);
  });

  it('stops older duplicates after the resume only when the policy says so', async () => {
    const [older, newer] = twoRuns({ at: 0 });
    const resumed: Step = { outcome: 'resumed' };
    const off = harness({ request: request(), workflows: [older, newer], backend: [resumed] });
    await off.reconcile();
    expect(off.targets.map((t) => t.workflowName)).toEqual(['play-new']);
    expect(off.stopped).toEqual([]);
    const on = harness({
      request: request(),
      workflows: [older, newer],
      backend: [resumed],
      stopOlderDuplicates: true,
    });
    await on.reconcile();
    expect(on.stopped).toEqual(['play-old']);
    expect(on.writes[0]).toMatchObject({ phase: 'Succeeded', candidates: ['play-new', 'play-old'] });
  });

  it('runs a resume’s follow-ups when the workflow already records it, once per process', async () => {
    // The previous leader resumed play-new and stopped before its status write.
    const [older, newer] = twoRuns({
      at: 1,
      annotations: { 'resume.workflows.dev/waiting-pr-created': 'ns/rr/u1' },
    });
    const h = harness({ request: request(), workflows: [older, newer], stopOlderDuplicates: true });
    await h.reconcile();
    expect(h.targets).toEqual([]);
    expect(h.writes[0]).toMatchObject({ phase: 'Succeeded', reason: 'ResumedByThisRequest' });
    expect(h.stopped).toEqual(['play-old']);
    expect(h.events.filter((e) => e === 'Normal Resumed')).toHaveLength(1);
    // Its own status write lost too (the request still shows none): settled again, followed up once.
    await h.reconcile();
    expect(h.writes).toHaveLength(2);
    expect(h.stopped).toEqual(['play-old']);
    expect(h.events.filter((e) => e === 'Normal Resumed')).toHaveLength(1);
  });

  it('decides on node status read through the backend when Argo offloaded it', async () => {
    const whole = waiting();
    const offloaded: Workflow = {
      ...whole,
      status: { phase: 'Running', offloadNodeStatusVersion: 'fnv:1' },
    };
    const without = harness({ request: request(), workflows: [offloaded] });
    await without.reconcile();
    expect(without.writes).toEqual([
      expect.objectContaining({ phase: 'Failed', reason: 'OffloadedNodeStatus' }),
    ]);

    const hydrated: string[] = [];
    const withHydrate = harness({
      request: request(),
      workflows: [offloaded],
      backend: [{ outcome: 'resumed' }],
      hydrate: async (_namespace, name) => (hydrated.push(name), whole),
    });
    await withHydrate.reconcile();
    expect(hydrated).toEqual([whole.metadata.name]);
    expect(withHydrate.writes).toEqual([expect.objectContaining({ phase: 'Succeeded', reason: 'Resumed' })]);
  });

  it('fails only the offloaded workflow argo-server cannot give: that request waits, and looks again soon', async () => {
    const whole = waiting();
    const offloaded: Workflow = { ...whole, status: { phase: 'Running', offloadNodeStatusVersion: 'fnv:1' } };
    const h = harness({
      request: request(),
      workflows: [offloaded],
      hydrate: async () => {
        throw Object.assign(new Error('argo-server answered HTTP 503'), { code: 503 });
      },
    });
    const result = await h.reconcile();
    expect(h.writes).toEqual([
      expect.objectContaining({
        phase: 'Waiting',
        reason: 'NodeStatusUnavailable',
        message: expect.stringContaining('could not be read through argo-server'),
      }),
    ]);
    expect(result).toEqual({ kind: 'requeue', afterMs: 10_000 });
    // An answer the cache's projection refuses counts against that workflow the same way.
    const unreadable = structuredClone(whole);
    unreadable.status!.nodes = { x: null } as never;
    const refused = harness({ request: request(), workflows: [offloaded], hydrate: async () => unreadable });
    await refused.reconcile();
    expect(refused.writes).toEqual([
      expect.objectContaining({
        reason: 'NodeStatusUnavailable',
        message: expect.stringContaining('is not a node'),
      }),
    ]);
  });

  it('reads only the workflow to be resumed whole for workflow rules, and decides again when it moved on', async () => {
    const rules = request();
    rules.spec.validationRules = [{ field: "workflow.metadata.labels['team']", operator: 'Exists' }];
    const cached = waiting();
    const other = {
      ...waiting(),
      metadata: { ...waiting().metadata, name: 'play-other', creationTimestamp: '2019-01-01T00:00:00Z' },
    };
    const fresh = structuredClone(cached);
    fresh.metadata.labels = { ...fresh.metadata.labels, team: 'a' };
    const h = harness({
      request: rules,
      workflows: [cached, other],
      whole: [fresh],
      backend: [{ outcome: 'resumed' }],
    });
    await h.reconcile();
    expect(h.reads).toEqual([cached.metadata.name]);
    expect(h.writes).toEqual([expect.objectContaining({ phase: 'Succeeded', reason: 'Resumed' })]);

    const moved = structuredClone(fresh);
    moved.metadata.resourceVersion = '99999';
    const lagging = harness({ request: rules, workflows: [cached], whole: [moved] });
    expect(await lagging.reconcile()).toEqual({
      kind: 'decide-again',
      detail: expect.stringContaining('99999'),
    });
    expect(lagging.writes).toEqual([]);
    const gone = harness({ request: rules, workflows: [cached], whole: [] });
    expect(await gone.reconcile()).toEqual({ kind: 'decide-again', detail: expect.stringContaining('gone') });
    expect(await gone.reconcile(MAX_STALLED_TURNS - 1)).toEqual(expect.objectContaining({ kind: 'settled' }));
    expect(gone.writes).toEqual([expect.objectContaining({ phase: 'Failed', reason: 'NoProgress' })]);
  });

  it('waits for a workflow that does not exist yet, writing the status once', async () => {
    const h = harness({ request: request() });
    const first = await h.reconcile();
    expect(h.writes).toEqual([expect.objectContaining({ phase: 'Waiting', reason: 'WorkflowNotFound' })]);
    expect(first).toEqual({ kind: 'requeue', afterMs: expect.any(Number) });
    const { afterMs } = first as { afterMs: number };
    expect(afterMs).toBeGreaterThan(0);
    expect(afterMs).toBeLessThanOrEqual(300_000);
    const again = harness({ request: request(h.writes[0]) });
    await again.reconcile();
    expect(again.writes).toEqual([]);
    expect(again.events).toEqual([]);
  });

  it('counts a retryable failure, records its delay and asks to come back after it', async () => {
    const h = harness({ request: request(), workflows: [waiting()], backend: [httpError(503)] });
    const result = await h.reconcile();
    expect(h.writes).toEqual([
      expect.objectContaining({
        phase: 'Resuming',
        reason: 'RetryScheduled',
        attempts: 1,
        retryDelays: ['2s'],
        nextAttemptTime: new Date(now.getTime() + 2000).toISOString(),
        lastError: expect.stringContaining('HTTP 503'),
      }),
    ]);
    expect(result).toEqual({ kind: 'requeue', afterMs: 2000 });
  });

  it('does not attempt again before nextAttemptTime', async () => {
    const h = harness({
      request: request({
        phase: 'Resuming',
        attempts: 1,
        nextAttemptTime: new Date(now.getTime() + 1500).toISOString(),
      }),
      workflows: [waiting()],
    });
    expect(await h.reconcile()).toEqual({ kind: 'requeue', afterMs: 1500 });
    expect(h.targets).toEqual([]);
    expect(h.writes).toEqual([]);
  });

  it('fails with RetriesExhausted when the last allowed attempt fails', async () => {
    const h = harness({
      request: request({ phase: 'Resuming', attempts: 2, retryDelays: ['2s', '4s'] }),
      workflows: [waiting()],
      backend: [httpError(500)],
    });
    await h.reconcile();
    expect(h.writes).toEqual([
      expect.objectContaining({ phase: 'Failed', reason: 'RetriesExhausted', attempts: 3 }),
    ]);
    expect(h.events).toEqual(['Warning RetriesExhausted']);
  });

  it.each([
    ['a conflict', httpError(409)],
    ['a vanished workflow', httpError(404)],
  ])('asks to decide again after %s, without counting an attempt or writing status', async (_name, error) => {
    const h = harness({ request: request(), workflows: [waiting()], backend: [error] });
    expect(await h.reconcile()).toEqual({ kind: 'decide-again', detail: expect.stringContaining('HTTP') });
    expect(h.writes).toEqual([]);
  });

  it('asks to decide again when the backend finds the node no longer waiting', async () => {
    const h = harness({
      request: request(),
      workflows: [waiting()],
      backend: [{ outcome: 'stale' }],
    });
    expect(await h.reconcile()).toEqual({
      kind: 'decide-again',
      detail: expect.stringContaining('no longer waiting'),
    });
    expect(h.writes).toEqual([]);
  });

  it('settles as Failed/NoProgress when the target moved under the write too many turns in a row', async () => {
    const below = harness({ request: request(), workflows: [waiting()], backend: [httpError(409)] });
    expect((await below.reconcile(MAX_STALLED_TURNS - 2)).kind).toBe('decide-again');
    const h = harness({ request: request(), workflows: [waiting()], backend: [httpError(409)] });
    expect(await h.reconcile(MAX_STALLED_TURNS - 1)).toEqual({ kind: 'settled', expireAfterMs: 60_000 });
    expect(h.writes).toEqual([expect.objectContaining({ phase: 'Failed', reason: 'NoProgress' })]);
    expect(h.writes[0]?.message).toContain(`${MAX_STALLED_TURNS} resume attempts in a row`);
    expect(h.events).toEqual(['Warning NoProgress']);
  });

  it('settles as Failed with the backend’s reason when the resume is rejected', async () => {
    const h = harness({
      request: request(),
      workflows: [waiting()],
      backend: [{ outcome: 'rejected', reason: 'MissingParameterValue', message: 'no value' }],
    });
    await h.reconcile();
    expect(h.writes).toEqual([
      expect.objectContaining({ phase: 'Failed', reason: 'MissingParameterValue', message: 'no value' }),
    ]);
  });

  it('fails without retrying when the API refuses the write for good', async () => {
    const h = harness({ request: request(), workflows: [waiting()], backend: [httpError(403)] });
    await h.reconcile();
    expect(h.writes).toEqual([
      expect.objectContaining({ phase: 'Failed', reason: 'BackendError', attempts: 1 }),
    ]);
    expect(h.writes[0]?.message).toContain('HTTP 403');
  });

  it('reports an open circuit without counting an attempt, and retries after the half-open delay', async () => {
    const failures = Array.from({ length: 5 }, () => httpError(503));
    const h = harness({ request: request(), workflows: [waiting()], backend: failures, maxAttempts: 100 });
    for (let i = 0; i < 5; i += 1) await h.reconcile();
    const before = h.targets.length;
    const result = await h.reconcile();
    expect(h.targets).toHaveLength(before);
    expect(result).toEqual({ kind: 'requeue', afterMs: 10_000 });
    expect(h.writes.at(-1)).toMatchObject({
      phase: 'Resuming',
      reason: 'CircuitOpen',
      conditions: expect.arrayContaining([expect.objectContaining({ type: 'CircuitOpen', status: 'True' })]),
    });
    expect(h.writes.at(-1)?.attempts).toBeUndefined();
  });

  it('never acts on a finished request, and deletes it once its TTL has passed', async () => {
    const finishedAt = new Date(now.getTime() - 61_000).toISOString();
    const h = harness({
      request: request({ phase: 'Succeeded', completionTime: finishedAt }),
      workflows: [waiting()],
    });
    expect(await h.reconcile()).toEqual({ kind: 'done' });
    expect(h.deleted).toEqual(['rr']);
    expect(h.targets).toEqual([]);
    const fresh = harness({
      request: request({ phase: 'Ignored', completionTime: new Date(now.getTime() - 1000).toISOString() }),
    });
    expect(await fresh.reconcile()).toEqual({ kind: 'requeue', afterMs: 59_000 });
    expect(fresh.deleted).toEqual([]);
  });
});
