// The metrics the controller reads from state: the work queue's timings as client-go reports them,
// requests by phase and the oldest unfinished one, and the zero series alerts need from the start.
import type { ResumeRequest } from '../../src/api/resume-request.js';
import {
  initialiseAlertSeries,
  requestState,
  workQueueObserver,
} from '../../src/controller/controller-metrics.js';
import { ALL_REASONS } from '../../src/domain/reasons.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { WorkQueue } from '../../src/runtime/work-queue.js';

const request = (name: string, created: string, phase?: string): ResumeRequest =>
  ({
    apiVersion: 'resume.workflows.dev/v1alpha1',
    kind: 'ResumeRequest',
    metadata: { name, namespace: 'ns', creationTimestamp: created },
    spec: {},
    ...(phase ? { status: { phase } } : {}),
  }) as ResumeRequest;

async function series(metrics: ReturnType<typeof createMetrics>, name: string): Promise<string[]> {
  const text = await metrics.registry.metrics();
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe('requestState', () => {
  it('counts requests by phase, a request without status as Pending, and ages the oldest unfinished', () => {
    const now = new Date('2026-12-03T10:00:00Z');
    const state = requestState(
      [
        request('a', '2026-12-03T09:59:00Z'),
        request('b', '2026-12-03T09:00:00Z', 'Waiting'),
        request('c', '2026-12-03T09:30:00Z', 'Waiting'),
        request('d', '2026-12-03T09:59:50Z', 'Resuming'),
        request('e', '2026-12-01T00:00:00Z', 'Succeeded'),
        request('f', '2026-12-01T00:00:00Z', 'Failed'),
      ],
      now,
    );
    expect(state).toEqual({
      byPhase: { Pending: 1, Waiting: 2, Resuming: 1, Succeeded: 1, Failed: 1, Ignored: 0 },
      oldestSeconds: { Pending: 60, Waiting: 3600, Resuming: 10 },
    });
  });

  it('reports 0 for a phase with no request', () => {
    expect(requestState([], new Date()).oldestSeconds).toEqual({ Pending: 0, Waiting: 0, Resuming: 0 });
  });
});

describe('the work queue metrics', () => {
  it('time how long a key waited and how long it was worked on, and count adds', async () => {
    let now = 1000;
    const metrics = createMetrics({ defaultMetrics: false });
    const queue = new WorkQueue({
      concurrency: 1,
      observer: workQueueObserver(metrics.workqueue),
      now: () => now,
    });
    let release!: () => void;
    const worked = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    queue.add('a');
    queue.add('a');
    now = 1250;
    queue.start(async () => {
      started();
      now = 1500;
      expect(queue.unfinishedWork()).toEqual({ totalMs: 250, longestMs: 250 });
      await worked;
      now = 3250;
    });
    await running;
    release();
    await queue.shutdown(1000);
    const lines = [
      ...(await series(metrics, 'workqueue_adds_total')),
      ...(await series(metrics, 'workqueue_queue_duration_seconds_sum')),
      ...(await series(metrics, 'workqueue_work_duration_seconds_sum')),
    ];
    expect(lines).toEqual([
      'workqueue_adds_total{name="resumerequest",controller="resumerequest"} 1',
      'workqueue_queue_duration_seconds_sum{name="resumerequest",controller="resumerequest"} 0.25',
      'workqueue_work_duration_seconds_sum{name="resumerequest",controller="resumerequest"} 2',
    ]);
  });
});

describe('initialiseAlertSeries', () => {
  it('creates every Failed reason and error kind at 0, and keeps what was already counted', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.requestsTotal.inc({ phase: 'Failed', reason: 'RetriesExhausted' });
    initialiseAlertSeries(metrics);
    const failed = (await series(metrics, 'workflow_resume_requests_total')).filter((line) =>
      line.includes('phase="Failed"'),
    );
    expect(failed).toHaveLength(ALL_REASONS.length);
    expect(failed).toContain('workflow_resume_requests_total{phase="Failed",reason="RetriesExhausted"} 1');
    expect(failed).toContain('workflow_resume_requests_total{phase="Failed",reason="BackendError"} 0');
    expect(await series(metrics, 'workflow_resume_reconcile_errors_total')).toEqual([
      'workflow_resume_reconcile_errors_total{kind="conflict"} 0',
      'workflow_resume_reconcile_errors_total{kind="retryable"} 0',
      'workflow_resume_reconcile_errors_total{kind="terminal"} 0',
      'workflow_resume_reconcile_errors_total{kind="not-found"} 0',
    ]);
    expect(await series(metrics, 'workflow_resume_objects_skipped_total')).toContain(
      'workflow_resume_objects_skipped_total{kind="Workflow",reason="NodeStatusTooLarge"} 0',
    );
  });
});
