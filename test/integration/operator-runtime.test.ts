// The controller runtime on the real plane: what an idle operator costs the API server, how fast
// an early request from GitHub facts is resumed once its stage comes, and that workflows nobody
// can read in one namespace neither stop the caches nor delay a play in another.
import { gzipSync } from 'node:zlib';
import * as k8s from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../../src/api/resume-request.js';
import type { Workflow } from '../../src/api/workflow.js';
import { createNamespace, kubectlOk, plane, waitFor } from '../support/plane.js';
import { startOperator, stopAllOperators, waitUntilLeading } from '../support/operator.js';
import {
  createResumeRequest,
  getResumeRequest,
  githubFacts,
  waitForPhase,
} from '../support/resume-requests.js';
import {
  createWorkflow,
  customObjects,
  nodeByDisplayName,
  playWorkflow,
  waitForSuspendAt,
} from '../support/workflows.js';

afterAll(() => stopAllOperators());

/** kube-apiserver's own count of requests on ResumeRequests, by verb (all clients, all codes). */
async function resumeRequestCalls(): Promise<Record<string, number>> {
  const text = await kubectlOk(['get', '--raw', '/metrics']);
  const totals: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{') || !line.includes(`resource="${PLURAL}"`)) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1];
    if (!verb) continue;
    totals[verb] = (totals[verb] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return totals;
}

const delta = (after: Record<string, number>, before: Record<string, number>, verbs: string[]) =>
  verbs.reduce((sum, verb) => sum + (after[verb] ?? 0) - (before[verb] ?? 0), 0);

const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

async function finishedRequest(namespace: string, name: string): Promise<void> {
  await createResumeRequest(namespace, name, { taskId: name, eventType: 'pr-created' });
  const now = new Date().toISOString();
  await customObjects().patchNamespacedCustomObjectStatus(
    {
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace,
      name,
      body: {
        status: {
          phase: 'Ignored',
          reason: 'WorkflowCompleted',
          message: 'made finished by the test',
          observedGeneration: 1,
          completionTime: now,
        },
      },
    },
    mergePatch,
  );
}

describe('an idle operator', () => {
  it('makes next to no reads of finished requests and writes none, however often it resyncs', async () => {
    const namespace = await createNamespace('idle');
    const names = Array.from({ length: 300 }, (_, i) => `done-${i}`);
    for (let i = 0; i < names.length; i += 25) {
      await Promise.all(names.slice(i, i + 25).map((name) => finishedRequest(namespace, name)));
    }
    const operator = await startOperator(`idle-${namespace}`, namespace, {
      WRO_RESYNC_INTERVAL_MS: '1000',
      WRO_WATCH_TIMEOUT_SECONDS: '5',
    });
    await waitUntilLeading(operator);
    // Started as the image starts it, the operator compacts its heap once the caches hold the 300.
    // Workers start, and the line is written, just after the caches report ready.
    const synced = await waitFor('the operator to log that its caches synced', async () => {
      const lines = operator
        .logs()
        .split('\n')
        .filter((line) => line.includes('caches synced'));
      return lines.length ? lines.map((line) => JSON.parse(line) as { heapCompacted?: unknown }) : undefined;
    });
    expect(synced).toEqual([expect.objectContaining({ heapCompacted: true })]);
    const before = await resumeRequestCalls();
    // The window in which nothing should happen: fifteen resyncs and three watch renewals.
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    const after = await resumeRequestCalls();
    const reads = delta(after, before, ['GET']);
    const lists = delta(after, before, ['LIST']);
    const writes = delta(after, before, ['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY']);
    // Our own two /metrics scrapes are not ResumeRequest calls; before, this was 300 GETs a second.
    expect({ reads, lists, writes }).toEqual({ reads: 0, lists: 0, writes: 0 });
    expect(delta(after, before, ['WATCH'])).toBeGreaterThanOrEqual(1);
    expect(operator.logs()).not.toMatch(/relisting/);
    await operator.stop();
  }, 180_000);
});

describe('an early request built from GitHub facts', () => {
  it('is resumed within a second of its stage being reached, not at the next recheck', async () => {
    const namespace = await createNamespace('early');
    // A recheck period far longer than the test: only the wake-up can resume in time.
    const operator = await startOperator(`early-${namespace}`, namespace, {
      WRO_RESYNC_INTERVAL_MS: '600000',
    });
    await waitUntilLeading(operator);
    await createWorkflow(namespace, playWorkflow('early', { 'task-id': '777' }));
    await waitForSuspendAt(namespace, 'early', 'wait-pr-created');

    // Watch the workflow from here, to see when its second stage starts waiting.
    let stageReachedAt: number | undefined;
    const watch = await new k8s.Watch(plane().kubeConfig()).watch(
      `/apis/argoproj.io/v1alpha1/namespaces/${namespace}/workflows`,
      { fieldSelector: 'metadata.name=early' },
      (_type: string, workflow: Workflow) => {
        const node = nodeByDisplayName(workflow, 'wait-ready-for-qa');
        if (stageReachedAt === undefined && node?.phase === 'Running') stageReachedAt = Date.now();
      },
      () => undefined,
    );
    try {
      // "Ready for QA" arrives first, then at once the event that moves the workflow to it.
      await createResumeRequest(namespace, 'gh-ready', {
        repository: 'acme-org/widgets',
        prNumber: 7,
        github: githubFacts('pull_request', 'labeled', {
          headRef: 'task-777-login',
          label: 'ready-for-qa',
          labels: ['ready-for-qa'],
        }),
      });
      await createResumeRequest(namespace, 'gh-opened', {
        repository: 'acme-org/widgets',
        prNumber: 7,
        github: githubFacts('pull_request', 'opened', { headRef: 'task-777-login', labels: [] }),
      });
      await waitForPhase(namespace, 'gh-opened', 'Succeeded');
      const ready = await waitForPhase(namespace, 'gh-ready', 'Succeeded', 20_000);
      expect(stageReachedAt).toBeDefined();
      const resumedAt = Date.parse(ready.status!.resumeTime!);
      expect(resumedAt - stageReachedAt!).toBeLessThan(1000);
    } finally {
      watch.abort();
      await operator.stop();
    }
  }, 120_000);
});

/** A play-labelled workflow the Argo controller leaves alone, whose status is written by its creator. */
function hostileWorkflow(name: string, status: Record<string, unknown>): Workflow {
  const workflow = playWorkflow(name, {
    'task-id': '666',
    'workflows.argoproj.io/controller-instanceid': 'nobody',
  });
  return { ...workflow, status };
}

const compressed = (nodes: unknown) => gzipSync(JSON.stringify(nodes)).toString('base64');

describe('workflows that cannot be read', () => {
  it('are skipped and reported in one namespace while a play in another is resumed normally', async () => {
    const hostile = await createNamespace('hostile');
    const tenant = await createNamespace('tenant');
    const nodes = (count: number) =>
      Object.fromEntries(
        Array.from({ length: count }, (_, i) => [`n${i}`, { id: `n${i}`, name: `n${i}`, type: 'Pod' }]),
      );
    // Already there when the operator lists, so the first list meets them.
    await createWorkflow(
      hostile,
      hostileWorkflow('null-node', { phase: 'Running', compressedNodes: compressed({ a: null }) }),
    );
    await createWorkflow(
      hostile,
      hostileWorkflow('not-gzip', {
        phase: 'Running',
        compressedNodes: Buffer.from('nope').toString('base64'),
      }),
    );
    const operator = await startOperator(`poison-${hostile}`, `${hostile},${tenant}`, {
      WRO_LEASE_NAME: `operator-${hostile}`,
      WRO_MAX_WORKFLOW_NODES: '50',
    });
    await waitUntilLeading(operator);
    // And more arriving through the watch.
    await createWorkflow(
      hostile,
      hostileWorkflow('wrong-types', {
        phase: 'Running',
        compressedNodes: compressed({ s: { id: 's', name: 's', type: 'Suspend', displayName: 7 } }),
      }),
    );
    await createWorkflow(hostile, hostileWorkflow('too-many', { phase: 'Running', nodes: nodes(60) }));
    await createResumeRequest(hostile, 'for-poison', { taskId: '666', eventType: 'pr-created' });

    await createWorkflow(tenant, playWorkflow('play', { 'task-id': '42' }));
    await waitForSuspendAt(tenant, 'play', 'wait-pr-created');
    await createResumeRequest(tenant, 'created', { taskId: '42', eventType: 'pr-created' });
    await waitForPhase(tenant, 'created', 'Succeeded');

    const health = await fetch(`http://127.0.0.1:${operator.port}/healthz`);
    expect(health.ok).toBe(true);
    const skipped = await waitFor('four skipped workflows in the metrics', async () => {
      const metrics = await operator.metrics();
      const counts: Record<string, number> = Object.fromEntries(
        [
          ...metrics.matchAll(
            /^workflow_resume_objects_skipped_total\{kind="Workflow",reason="(\w+)"\} (\d+)$/gm,
          ),
        ].map((match) => [match[1], Number(match[2])]),
      );
      const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
      return total >= 4 ? counts : undefined;
    });
    // Every reason's series exists from the start (at 0), so that the first skip is an increase.
    expect(skipped).toEqual({
      InvalidNodeStatus: 2,
      InvalidCompressedNodes: 1,
      NodeStatusTooLarge: 1,
      Unreadable: 0,
      CacheBudgetExceeded: 0,
      InflationBudgetExceeded: 0,
    });
    const reasons = await waitFor('the Warning Events on the skipped workflows', async () => {
      const text = await kubectlOk([
        '-n',
        hostile,
        'get',
        'events',
        '--field-selector',
        'involvedObject.kind=Workflow,type=Warning',
        '-o',
        'jsonpath={range .items[*]}{.involvedObject.name}={.reason}{"\\n"}{end}',
      ]);
      const lines = text.split('\n').filter(Boolean).sort();
      return lines.length >= 4 ? lines : undefined;
    });
    expect(reasons).toEqual([
      'not-gzip=InvalidCompressedNodes',
      'null-node=InvalidNodeStatus',
      'too-many=NodeStatusTooLarge',
      'wrong-types=InvalidNodeStatus',
    ]);
    // The hostile namespace's own request sees no workflow it could act on, and waits.
    const waiting = await waitForPhase(hostile, 'for-poison', 'Waiting');
    expect(waiting.status?.reason).toBe('WorkflowNotFound');
    expect((await getResumeRequest(tenant, 'created'))?.status?.reason).toBe('Resumed');
    expect(operator.logs()).toMatch(/skipped an object that cannot be read/);
    await operator.stop();
  }, 180_000);
});
