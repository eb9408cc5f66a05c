// The reconciler's turns, one scenario each, with its ports (request store, workflow source,
// status writer, events, backend) as in-memory recorders: what it writes, what it calls, and
// when it asks to look again. Its Kubernetes side is tested against the real plane in
// test/integration; here only its own logic is.
import type { ResumeRequest, ResumeRequestStatus } from '../../src/api/resume-request.js';
import type { Workflow } from '../../src/api/workflow.js';
import type { ResumeBackend, ResumeResult, ResumeTarget } from '../../src/backends/backend.js';
import { Reconciler, type ReconcilerContext } from '../../src/controller/reconciler.js';
import { defaultDomainConfig } from '../../src/domain/config.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { BreakerRegistry } from '../../src/resilience/breakers.js';
import { playWorkflow } from '../fixtures/play-workflows.js';

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
}) {
  const writes: ResumeRequestStatus[] = [];
  const stopped: string[] = [];
  const settled: string[] = [];
  const events: string[] = [];
  const targets: ResumeTarget[] = [];
  const deleted: string[] = [];
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
    ttlSecondsAfterFinished: 60,
    maxWaitRecheckMs: 300_000,
    requests: {
      get: async () => options.request,
      delete: async (r) => void deleted.push(r.metadata.name!),
      settled: (r) => void settled.push(r.metadata.name!),
    },
    workflows: { candidates: () => options.workflows ?? [], readWhole: async () => options.workflows ?? [] },
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
  return { reconciler: new Reconciler(context), writes, events, targets, deleted, stopped, settled };
}

const waiting = () => playWorkflow({ namespace: 'ns', taskId: '42', at: 0, created });
const httpError = (code: number) => Object.assign(new Error(`HTTP ${code}`), { code });

describe('Reconciler', () => {
  it('does nothing for a request that no longer exists', async () => {
    const h = harness({ request: undefined });
    expect(await h.reconciler.reconcile('ns/rr')).toEqual({});
    expect(h.writes).toEqual([]);
  });

  it('resumes the waiting node once and records success, the resumed node and the attempt', async () => {
    const workflow = waiting();
    const h = harness({
      request: request(),
      workflows: [workflow],
      backend: [{ outcome: 'resumed', apiRequests: 2 }],
    });
    const result = await h.reconciler.reconcile('ns/rr');
    expect(h.targets).toHaveLength(1);
    expect(h.targets[0]).toMatchObject({
      namespace: 'ns',
      workflowName: workflow.metadata.name,
      markerKey: 'resume.workflows.dev/waiting-pr-created',
      markerValue: 'ns/rr',
    });
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
    expect(result).toEqual({ requeueAfterMs: 60_000 });
    expect(h.settled).toEqual(['rr']);
  });

  it('stops older duplicates after the resume only when the policy says so', async () => {
    const older = playWorkflow({
      name: 'play-old',
      namespace: 'ns',
      taskId: '42',
      at: 0,
      created: '2026-01-01T09:00:00Z',
    });
    const newer = playWorkflow({ name: 'play-new', namespace: 'ns', taskId: '42', at: 0, created });
    const resumed: Step = { outcome: 'resumed', apiRequests: 2 };
    const off = harness({ request: request(), workflows: [older, newer], backend: [resumed] });
    await off.reconciler.reconcile('ns/rr');
    expect(off.targets.map((t) => t.workflowName)).toEqual(['play-new']);
    expect(off.stopped).toEqual([]);
    const on = harness({
      request: request(),
      workflows: [older, newer],
      backend: [resumed],
      stopOlderDuplicates: true,
    });
    await on.reconciler.reconcile('ns/rr');
    expect(on.stopped).toEqual(['play-old']);
    expect(on.writes[0]).toMatchObject({ phase: 'Succeeded', candidates: ['play-new', 'play-old'] });
  });

  it('decides on node status read through the backend when Argo offloaded it', async () => {
    const whole = waiting();
    const offloaded: Workflow = {
      ...whole,
      status: { phase: 'Running', offloadNodeStatusVersion: 'fnv:1' },
    };
    const without = harness({ request: request(), workflows: [offloaded] });
    await without.reconciler.reconcile('ns/rr');
    expect(without.writes).toEqual([
      expect.objectContaining({ phase: 'Failed', reason: 'OffloadedNodeStatus' }),
    ]);

    const hydrated: string[] = [];
    const withHydrate = harness({
      request: request(),
      workflows: [offloaded],
      backend: [{ outcome: 'resumed', apiRequests: 3 }],
      hydrate: async (_namespace, name) => (hydrated.push(name), whole),
    });
    await withHydrate.reconciler.reconcile('ns/rr');
    expect(hydrated).toEqual([whole.metadata.name]);
    expect(withHydrate.writes).toEqual([expect.objectContaining({ phase: 'Succeeded', reason: 'Resumed' })]);
  });

  it('waits for a workflow that does not exist yet, writing the status once', async () => {
    const h = harness({ request: request() });
    const first = await h.reconciler.reconcile('ns/rr');
    expect(h.writes).toEqual([expect.objectContaining({ phase: 'Waiting', reason: 'WorkflowNotFound' })]);
    expect(first.requeueAfterMs).toBeGreaterThan(0);
    expect(first.requeueAfterMs).toBeLessThanOrEqual(300_000);
    expect(h.settled).toEqual([]);
    const again = harness({ request: request(h.writes[0]) });
    await again.reconciler.reconcile('ns/rr');
    expect(again.writes).toEqual([]);
    expect(again.events).toEqual([]);
  });

  it('counts a retryable failure, records its delay and asks to come back after it', async () => {
    const h = harness({ request: request(), workflows: [waiting()], backend: [httpError(503)] });
    const result = await h.reconciler.reconcile('ns/rr');
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
    expect(result).toEqual({ requeueAfterMs: 2000 });
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
    expect(await h.reconciler.reconcile('ns/rr')).toEqual({ requeueAfterMs: 1500 });
    expect(h.targets).toEqual([]);
    expect(h.writes).toEqual([]);
  });

  it('fails with RetriesExhausted when the last allowed attempt fails', async () => {
    const h = harness({
      request: request({ phase: 'Resuming', attempts: 2, retryDelays: ['2s', '4s'] }),
      workflows: [waiting()],
      backend: [httpError(500)],
    });
    await h.reconciler.reconcile('ns/rr');
    expect(h.writes).toEqual([
      expect.objectContaining({ phase: 'Failed', reason: 'RetriesExhausted', attempts: 3 }),
    ]);
    expect(h.events).toEqual(['Warning RetriesExhausted']);
  });

  it('decides again at once after a conflict, without counting an attempt or writing status', async () => {
    const h = harness({ request: request(), workflows: [waiting()], backend: [httpError(409)] });
    expect(await h.reconciler.reconcile('ns/rr')).toEqual({ requeueAfterMs: 0 });
    expect(h.writes).toEqual([]);
  });

  it('settles as Failed with the backend’s reason when the resume is rejected', async () => {
    const h = harness({
      request: request(),
      workflows: [waiting()],
      backend: [
        { outcome: 'rejected', reason: 'MissingParameterValue', message: 'no value', apiRequests: 1 },
      ],
    });
    await h.reconciler.reconcile('ns/rr');
    expect(h.writes).toEqual([
      expect.objectContaining({ phase: 'Failed', reason: 'MissingParameterValue', message: 'no value' }),
    ]);
  });

  it('fails without retrying when the API refuses the write for good', async () => {
    const h = harness({ request: request(), workflows: [waiting()], backend: [httpError(403)] });
    await h.reconciler.reconcile('ns/rr');
    expect(h.writes).toEqual([
      expect.objectContaining({ phase: 'Failed', reason: 'BackendError', attempts: 1 }),
    ]);
    expect(h.writes[0]?.message).toContain('HTTP 403');
  });

  it('reports an open circuit without counting an attempt, and retries after the half-open delay', async () => {
    const failures = Array.from({ length: 5 }, () => httpError(503));
    const h = harness({ request: request(), workflows: [waiting()], backend: failures, maxAttempts: 100 });
    for (let i = 0; i < 5; i += 1) await h.reconciler.reconcile('ns/rr');
    const before = h.targets.length;
    const result = await h.reconciler.reconcile('ns/rr');
    expect(h.targets).toHaveLength(before);
    expect(result).toEqual({ requeueAfterMs: 10_000 });
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
    expect(await h.reconciler.reconcile('ns/rr')).toEqual({});
    expect(h.deleted).toEqual(['rr']);
    expect(h.targets).toEqual([]);
    const fresh = harness({
      request: request({ phase: 'Ignored', completionTime: new Date(now.getTime() - 1000).toISOString() }),
    });
    expect(await fresh.reconciler.reconcile('ns/rr')).toEqual({ requeueAfterMs: 59_000 });
    expect(fresh.deleted).toEqual([]);
  });
});
