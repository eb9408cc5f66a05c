// The operator's metrics on the plane, scraped from the built operator running under its shipped
// RBAC: its build, the series alerts need from the moment it leads, the state of its requests,
// its work queue and API calls under client-go's names, and resume latency counted from the
// moment the stage is reached rather than from the request's creation.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { operatorForFile } from '../support/operator.js';
import { projectRoot, waitFor } from '../support/plane.js';
import { createResumeRequest, waitForPhase } from '../support/resume-requests.js';
import { createWorkflow, playWorkflow, waitForSuspendAt } from '../support/workflows.js';

const ctx = operatorForFile('metrics');
const version = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string })
  .version;

/** The value of one series, by its exact name and labels as the operator prints them. */
function value(metrics: string, series: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('it reports its build, and from the moment it leads, every series the alerts read at 0', async () => {
  const metrics = await ctx.operator.metrics();
  // The bundle names the commit it was built at (make test builds it from the commit it tests).
  expect(metrics).toMatch(
    new RegExp(
      `^workflow_resume_build_info\\{version="${version.replace(/\./g, '\\.')}",revision="[0-9a-f]{40}"\\} 1$`,
      'm',
    ),
  );
  for (const series of [
    'workflow_resume_requests_total{phase="Failed",reason="RetriesExhausted"}',
    'workflow_resume_requests_total{phase="Failed",reason="StageNotReached"}',
    'workflow_resume_reconcile_errors_total{kind="retryable"}',
    'workflow_resume_objects_skipped_total{kind="Workflow",reason="NodeStatusTooLarge"}',
  ])
    expect({ series, value: value(metrics, series) }).toEqual({ series, value: 0 });
});

test('an early request waits, counted by phase; once its stage comes, latency counts from then', async () => {
  const { namespace, operator } = ctx;
  await createWorkflow(namespace, playWorkflow('play', { 'task-id': '91' }));
  await waitForSuspendAt(namespace, 'play', 'wait-pr-created');
  await createResumeRequest(namespace, 'early-qa', { taskId: '91', eventType: 'pr-labeled-ready' });
  await waitForPhase(namespace, 'early-qa', 'Waiting');
  const waiting = await waitFor('the waiting request in the state gauges', async () => {
    const metrics = await operator.metrics();
    return (value(metrics, 'workflow_resume_requests{phase="Waiting"}') ?? 0) >= 1 ? metrics : undefined;
  });
  expect(
    value(waiting, 'workflow_resume_oldest_request_age_seconds{phase="Waiting"}'),
  ).toBeGreaterThanOrEqual(0);

  // Let the early request age, so its duration and its latency differ by at least this much.
  const AGE_MS = 3000;
  await new Promise((resolve) => setTimeout(resolve, AGE_MS));
  await createResumeRequest(namespace, 'created', { taskId: '91', eventType: 'pr-created' });
  await waitForPhase(namespace, 'created', 'Succeeded');
  await waitForPhase(namespace, 'early-qa', 'Succeeded');

  const metrics = await operator.metrics();
  expect(value(metrics, 'workflow_resume_latency_seconds_count')).toBe(2);
  expect(value(metrics, 'workflow_resume_duration_seconds_count')).toBe(2);
  const latency = value(metrics, 'workflow_resume_latency_seconds_sum')!;
  const duration = value(metrics, 'workflow_resume_duration_seconds_sum')!;
  expect(duration - latency).toBeGreaterThanOrEqual(AGE_MS / 1000 - 1);
  expect(value(metrics, 'workflow_resume_requests{phase="Succeeded"}')).toBe(2);
  expect(value(metrics, 'workflow_resume_oldest_request_age_seconds{phase="Waiting"}')).toBe(0);
});

test('the work queue, the reconciles and the API calls carry client-go’s and controller-runtime’s names', async () => {
  const metrics = await ctx.operator.metrics();
  const queue = '{name="resumerequest",controller="resumerequest"}';
  expect(value(metrics, `workqueue_adds_total${queue}`)).toBeGreaterThan(0);
  expect(value(metrics, `workqueue_queue_duration_seconds_count${queue}`)).toBeGreaterThan(0);
  expect(value(metrics, `workqueue_work_duration_seconds_count${queue}`)).toBeGreaterThan(0);
  expect(value(metrics, `workqueue_depth${queue}`)).toBe(0);
  expect(value(metrics, `workqueue_longest_running_processor_seconds${queue}`)).toBeGreaterThanOrEqual(0);
  expect(
    value(metrics, 'controller_runtime_reconcile_total{controller="resumerequest",result="success"}'),
  ).toBeGreaterThan(0);
  const calls = [
    ...metrics.matchAll(
      /^rest_client_requests_total\{code="(\d+|<error>)",method="(\w+)",host="[^"]+"\} (\d+)$/gm,
    ),
  ];
  const byCall = Object.fromEntries(calls.map((m) => [`${m[2]} ${m[1]}`, Number(m[3])]));
  // Lists and watches, lease renewals, and the resume and status patches, all answered.
  expect(byCall['GET 200']).toBeGreaterThan(0);
  expect(byCall['PATCH 200']).toBeGreaterThanOrEqual(4);
  expect(byCall['PUT 200']).toBeGreaterThan(0);
});
