// The statuses the operator writes carry kstatus conditions that outside tools read: each is
// written through the real API server (the CRD schema must keep every field), parsed back with
// the operator's own schema, waited on with `kubectl wait --for=condition=Ready`, and judged by
// the Argo CD health check in config/argocd, run in gopher-lua (Lua 5.1, what Argo CD embeds).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import {
  GROUP,
  PLURAL,
  VERSION,
  resumeRequestStatusSchema,
  type ResumeRequest,
  type ResumeRequestStatus,
} from '../../src/api/resume-request.js';
import { circuitOpen, finished, retrying, waiting } from '../../src/controller/next-status.js';
import { createResumeRequest, getResumeRequest } from '../support/resume-requests.js';
import { customObjects } from '../support/workflows.js';
import { createNamespace, kubectl, plane, projectRoot, run } from '../support/plane.js';

const healthScript = join(projectRoot, 'config/argocd/resumerequest-health.lua');
const now = new Date('2026-01-02T03:04:05Z');
const resolved = { taskId: '42', eventType: 'pr-created' as const };

/** A JSON value as a Lua 5.1 table constructor, the shape Argo CD hands its health scripts. */
function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  // JSON's string escapes (\" \\ \n \t) are Lua's too; these statuses hold no other control characters.
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  return `{${Object.entries(value as object)
    .map(([key, item]) => `[${toLua(key)}] = ${toLua(item)}`)
    .join(', ')}}`;
}

async function argoHealth(object: ResumeRequest): Promise<{ status: string; message: string }> {
  const file = join(plane().dir, `health-${object.metadata.name}-${process.pid}.lua`);
  writeFileSync(
    file,
    `obj = ${toLua(object)}\nlocal hs = dofile(${toLua(healthScript)})\nprint(hs.status)\nprint(hs.message)\n`,
  );
  const result = await run(join(projectRoot, 'hack/tool'), ['glua', file], { timeoutMs: 600_000 });
  if (result.code !== 0) throw new Error(`glua failed: ${result.stderr}`);
  const [status, ...message] = result.stdout.trimEnd().split('\n');
  return { status: status!, message: message.join('\n') };
}

async function writeStatus(request: ResumeRequest, status: ResumeRequestStatus): Promise<ResumeRequest> {
  return (await customObjects().patchNamespacedCustomObjectStatus(
    {
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: request.metadata.namespace!,
      name: request.metadata.name!,
      body: { status },
    },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  )) as ResumeRequest;
}

type Build = (request: ResumeRequest) => ResumeRequestStatus;

const cases: Array<[string, Build, { ready: string; health: string; reason: string }]> = [
  [
    'waiting',
    (r) =>
      waiting(
        r,
        resolved,
        { reason: 'StageNotReached', message: 'the workflow is at an earlier stage' },
        now,
      ),
    { ready: 'False', health: 'Progressing', reason: 'StageNotReached' },
  ],
  [
    'retrying',
    (r) =>
      retrying(
        r,
        resolved,
        {
          reason: 'RetryScheduled',
          message: 'attempt 1 failed; retrying in 2s',
          workflowName: 'play',
          delayText: '2s',
          nextAttemptTime: new Date(now.getTime() + 2000),
          lastError: 'HTTP 503',
        },
        now,
      ),
    { ready: 'False', health: 'Progressing', reason: 'RetryScheduled' },
  ],
  [
    'circuit-open',
    (r) =>
      circuitOpen(
        r,
        resolved,
        { breaker: 'kubernetes', workflowName: 'play', nextAttemptTime: new Date(now.getTime() + 10_000) },
        now,
      ),
    { ready: 'False', health: 'Progressing', reason: 'CircuitOpen' },
  ],
  [
    'succeeded',
    (r) =>
      finished(
        r,
        resolved,
        { phase: 'Succeeded', reason: 'Resumed', message: 'resumed wait-pr-created', workflowName: 'play' },
        now,
      ),
    { ready: 'True', health: 'Healthy', reason: 'Resumed' },
  ],
  [
    'ignored',
    (r) => finished(r, resolved, { phase: 'Ignored', reason: 'AlreadyResumed', message: 'too late' }, now),
    { ready: 'True', health: 'Healthy', reason: 'AlreadyResumed' },
  ],
  [
    'failed',
    (r) =>
      finished(
        r,
        resolved,
        { phase: 'Failed', reason: 'ValidationFailed', message: 'repository differs' },
        now,
      ),
    { ready: 'False', health: 'Degraded', reason: 'ValidationFailed' },
  ],
];

let namespace: string;
beforeAll(async () => {
  namespace = await createNamespace('readiness');
});

describe.each(cases)('a %s request', (name, build, expected) => {
  let stored: ResumeRequest;

  beforeAll(async () => {
    const created = await createResumeRequest(namespace, name, { taskId: '42', eventType: 'pr-created' });
    await writeStatus(created, build(created));
    stored = (await getResumeRequest(namespace, name))!;
  });

  it('keeps Ready, Reconciling and Stalled with the generation through the API server', () => {
    const status = resumeRequestStatusSchema.parse(stored.status);
    const byType = Object.fromEntries((status.conditions ?? []).map((c) => [c.type, c]));
    expect(byType.Ready).toMatchObject({
      status: expected.ready,
      reason: expected.reason,
      observedGeneration: 1,
    });
    expect(byType.Reconciling?.status).toBe(expected.health === 'Progressing' ? 'True' : 'False');
    expect(byType.Stalled?.status).toBe(expected.health === 'Degraded' ? 'True' : 'False');
    expect(status.observedGeneration).toBe(stored.metadata.generation);
  });

  it(`is ${expected.health} to Argo CD`, async () => {
    const health = await argoHealth(stored);
    expect(health.status).toBe(expected.health);
    expect(health.message).toContain(`/${expected.reason}: ${stored.status!.message}`);
  });

  it(`${expected.ready === 'True' ? 'ends' : 'holds'} kubectl wait --for=condition=Ready`, async () => {
    const result = await kubectl([
      'wait',
      '-n',
      namespace,
      '--for=condition=Ready',
      `resumerequests/${name}`,
      `--timeout=${expected.ready === 'True' ? 20 : 1}s`,
    ]);
    expect(result.code === 0).toBe(expected.ready === 'True');
  });
});

test('Argo CD sees a request without status, or with a status for an older spec, as Progressing', async () => {
  const created = await createResumeRequest(namespace, 'fresh', { taskId: '7', eventType: 'pr-created' });
  expect((await argoHealth(created)).status).toBe('Progressing');
  const stale = { ...created, metadata: { ...created.metadata, generation: 2 } };
  const status = finished(created, resolved, { phase: 'Succeeded', reason: 'Resumed', message: 'done' }, now);
  const health = await argoHealth({ ...stale, status });
  expect(health).toEqual({
    status: 'Progressing',
    message: 'Waiting for the operator to observe generation 2',
  });
});
