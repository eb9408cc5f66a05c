// The operator when things go wrong: API errors during the resume write (injected by the real
// API server through a failing admission webhook), a persistent outage, a SIGKILL mid-flight,
// the leader dying, and the shutdown and clean-up paths.
import * as k8s from '@kubernetes/client-node';
import { createNamespace, kubectlOk, plane, waitFor } from '../support/plane.js';
import {
  startOperator,
  TEST_LEASE_DURATION_MS,
  waitUntilLeading,
  type RunningOperator,
} from '../support/operator.js';
import { startFaultWebhook, type FaultWebhook } from '../support/fault-webhook.js';
import { createResumeRequest, getResumeRequest, markerOf, waitForPhase } from '../support/resume-requests.js';
import {
  createWorkflow,
  getWorkflow,
  nodeByDisplayName,
  playWorkflow,
  waitForSuspendAt,
} from '../support/workflows.js';

const FAULTY = { 'fault-injection': 'on' };

async function suspendedWorkflow(
  namespace: string,
  name: string,
  taskId: string,
  labels: Record<string, string> = {},
) {
  await createWorkflow(namespace, playWorkflow(name, { 'task-id': taskId, ...labels }));
  await waitForSuspendAt(namespace, name, 'wait-pr-created');
}

/** Makes sure the API server already calls the webhook: an admin label change goes through it. */
async function webhookActive(namespace: string, workflow: string, webhook: FaultWebhook): Promise<void> {
  let probe = 0;
  await waitFor('the fault webhook to be called by the API server', async () => {
    probe += 1;
    await kubectlOk(['-n', namespace, 'label', 'workflow', workflow, `probe=${probe}`, '--overwrite']);
    return webhook.calls.seen > 0 ? true : undefined;
  });
}

describe('transient API failures', () => {
  let namespace: string;
  let webhook: FaultWebhook;
  let operator: RunningOperator;

  beforeAll(async () => {
    namespace = await createNamespace('transient');
    webhook = await startFaultWebhook(namespace);
    operator = await startOperator(`transient-${namespace}`, namespace, { WRO_RETRY_MAX_ATTEMPTS: '6' });
    await waitUntilLeading(operator);
  });

  afterAll(async () => {
    await operator?.stop();
    await webhook?.close();
  });

  it('are retried with recorded delays until the resume succeeds', async () => {
    await suspendedWorkflow(namespace, 'flaky', '201', FAULTY);
    await webhookActive(namespace, 'flaky', webhook);
    webhook.failing = true;
    await createResumeRequest(namespace, 'flaky-created', { taskId: '201', eventType: 'pr-created' });
    await waitFor('two refused attempts', async () => (webhook.calls.refused >= 2 ? true : undefined));
    const during = await getResumeRequest(namespace, 'flaky-created');
    expect(during?.status?.phase).toBe('Resuming');
    expect(during?.status?.lastError).toMatch(/^patch workflows .*: 500 /);
    webhook.failing = false;

    const request = await waitForPhase(namespace, 'flaky-created', 'Succeeded');
    const attempts = request.status?.attempts ?? 0;
    expect(attempts).toBe(webhook.calls.refused + 1);
    expect(request.status?.retryDelays).toHaveLength(attempts - 1);
    for (const delay of request.status?.retryDelays ?? []) expect(delay).toMatch(/^\d+(\.\d+)?s$/);
    expect(nodeByDisplayName(await getWorkflow(namespace, 'flaky'), 'wait-pr-created')?.phase).toBe(
      'Succeeded',
    );
    expect(await operator.metrics()).toMatch(/workflow_resume_attempts_total\{result="retryable"\} [2-9]/);
  });
});

describe('a persistent outage', () => {
  let namespace: string;
  let webhook: FaultWebhook;
  let operator: RunningOperator;
  const halfOpenAfterMs = 1500;

  beforeAll(async () => {
    namespace = await createNamespace('outage');
    webhook = await startFaultWebhook(namespace);
    operator = await startOperator(`outage-${namespace}`, namespace, {
      WRO_RETRY_MAX_ATTEMPTS: '50',
      WRO_BREAKER_CONSECUTIVE_FAILURES: '3',
      WRO_BREAKER_HALF_OPEN_AFTER_MS: String(halfOpenAfterMs),
    });
    await waitUntilLeading(operator);
  });

  afterAll(async () => {
    await operator?.stop();
    await webhook?.close();
  });

  it('opens the breaker, keeps requests Resuming with CircuitOpen, bounds calls, and completes after recovery', async () => {
    const names = ['down-1', 'down-2', 'down-3'];
    for (const [i, name] of names.entries()) await suspendedWorkflow(namespace, name, `21${i}`, FAULTY);
    await webhookActive(namespace, names[0]!, webhook);
    webhook.failing = true;
    for (const [i, name] of names.entries()) {
      await createResumeRequest(namespace, `${name}-created`, { taskId: `21${i}`, eventType: 'pr-created' });
    }
    await waitFor('every request to report the open circuit', async () => {
      const requests = await Promise.all(names.map((name) => getResumeRequest(namespace, `${name}-created`)));
      return requests.every((request) => request?.status?.reason === 'CircuitOpen') ? requests : undefined;
    });
    for (const name of names) {
      const request = await getResumeRequest(namespace, `${name}-created`);
      expect(request?.status?.phase).toBe('Resuming');
      expect(request?.status?.nextAttemptTime).toBeDefined();
      expect(request?.status?.conditions).toContainEqual(
        expect.objectContaining({ type: 'CircuitOpen', status: 'True' }),
      );
    }
    expect(await operator.metrics()).toMatch(
      new RegExp(`workflow_resume_circuit_breaker_state\\{breaker="backend:kubernetes/${namespace}"\\} [12]`),
    );

    // While open, only the half-open probes reach the API server: one per period, not one per request.
    const before = webhook.calls.refused;
    const windowMs = 4 * halfOpenAfterMs;
    const start = Date.now();
    await waitFor(
      'the measurement window to pass',
      async () => (Date.now() - start >= windowMs ? true : undefined),
      {
        timeoutMs: windowMs + 5000,
      },
    );
    expect(webhook.calls.refused - before).toBeLessThanOrEqual(Math.ceil(windowMs / halfOpenAfterMs) + 1);

    webhook.failing = false;
    for (const name of names) {
      const request = await waitForPhase(namespace, `${name}-created`, 'Succeeded', 60_000);
      expect(request.status?.reason).toBe('Resumed');
      expect(nodeByDisplayName(await getWorkflow(namespace, name), 'wait-pr-created')?.phase).toBe(
        'Succeeded',
      );
    }
    expect(await operator.metrics()).toContain(
      `workflow_resume_circuit_breaker_state{breaker="backend:kubernetes/${namespace}"} 0`,
    );
  });
});

describe('an operator killed mid-flight', () => {
  it('resumes every stage exactly once after a restart, carrying its attempts over', async () => {
    const namespace = await createNamespace('sigkill');
    const webhook = await startFaultWebhook(namespace);
    try {
      const healthy = ['crash-0', 'crash-1', 'crash-2'];
      const failing = ['crash-3', 'crash-4', 'crash-5'];
      const names = [...healthy, ...failing];
      for (const [i, name] of names.entries()) {
        await suspendedWorkflow(namespace, name, `22${i}`, failing.includes(name) ? FAULTY : {});
      }
      await webhookActive(namespace, failing[0]!, webhook);
      webhook.failing = true;
      const first = await startOperator(`sigkill-a-${namespace}`, namespace, {
        WRO_RETRY_MAX_ATTEMPTS: '20',
      });
      await waitUntilLeading(first);
      await Promise.all(
        names.map((name, i) =>
          createResumeRequest(namespace, `${name}-created`, { taskId: `22${i}`, eventType: 'pr-created' }),
        ),
      );
      // Mid-flight: some requests done, the others between failed attempts.
      await waitFor('healthy requests done and failing ones retrying', async () => {
        const requests = await Promise.all(
          names.map((name) => getResumeRequest(namespace, `${name}-created`)),
        );
        const done = requests.slice(0, 3).every((request) => request?.status?.phase === 'Succeeded');
        const retrying = requests.slice(3).every((request) => (request?.status?.attempts ?? 0) >= 1);
        return done && retrying ? true : undefined;
      });
      await first.kill();
      const attemptsBefore = await Promise.all(
        failing.map(
          async (name) => (await getResumeRequest(namespace, `${name}-created`))?.status?.attempts ?? 0,
        ),
      );
      webhook.failing = false;

      const second = await startOperator(`sigkill-b-${namespace}`, namespace);
      await waitUntilLeading(second);
      for (const name of names) {
        const request = await waitForPhase(namespace, `${name}-created`, 'Succeeded');
        expect(['Resumed', 'ResumedByThisRequest']).toContain(request.status?.reason);
        const workflow = await waitForSuspendAt(namespace, name, 'wait-ready-for-qa');
        expect(nodeByDisplayName(workflow, 'wait-pr-created')?.phase).toBe('Succeeded');
        expect(workflow.metadata.annotations?.['resume.workflows.dev/waiting-pr-created']).toBe(
          await markerOf(namespace, `${name}-created`),
        );
        const index = failing.indexOf(name);
        if (index >= 0) expect(request.status?.attempts).toBeGreaterThan(attemptsBefore[index]!);
      }
      await second.stop();
    } finally {
      await webhook.close();
    }
  });
});

describe('two replicas', () => {
  it('elect one leader, and the standby takes over and finishes the work when it dies', async () => {
    const namespace = await createNamespace('replicas');
    const a = await startOperator(`replica-a-${namespace}`, namespace);
    const b = await startOperator(`replica-b-${namespace}`, namespace);
    const leader = await waitFor('one leader', async () => {
      const [ma, mb] = await Promise.all([a.metrics(), b.metrics()]);
      const leading = [ma, mb].map((metrics) => /^workflow_resume_leader 1$/m.test(metrics));
      return leading[0] !== leading[1] ? (leading[0] ? a : b) : undefined;
    });
    const standby = leader === a ? b : a;
    expect(await standby.metrics()).toMatch(/^workflow_resume_leader 0$/m);
    const lease = (await plane()
      .kubeConfig()
      .makeApiClient(k8s.CoordinationV1Api)
      .readNamespacedLease({
        name: `operator-${namespace}`,
        namespace: 'workflow-resume-system',
      })) as k8s.V1Lease;
    expect(lease.spec?.holderIdentity).toBe(leader.name);

    await suspendedWorkflow(namespace, 'failover', '231');
    await leader.kill();
    const killedAt = Date.now();
    await createResumeRequest(namespace, 'failover-created', { taskId: '231', eventType: 'pr-created' });
    await waitUntilLeading(standby, TEST_LEASE_DURATION_MS + 10_000);
    expect(Date.now() - killedAt).toBeLessThan(TEST_LEASE_DURATION_MS + 5000);
    const request = await waitForPhase(namespace, 'failover-created', 'Succeeded');
    expect(request.status?.reason).toBe('Resumed');
    await standby.stop();
  });
});

describe('shutdown and clean-up', () => {
  it('deletes finished requests after ttlSecondsAfterFinished, and on SIGTERM releases the lease and exits 0', async () => {
    const namespace = await createNamespace('ttl');
    const operator = await startOperator(`ttl-${namespace}`, namespace, {
      WRO_TTL_SECONDS_AFTER_FINISHED: '2',
    });
    await waitUntilLeading(operator);
    await suspendedWorkflow(namespace, 'short-lived', '241');
    await createResumeRequest(namespace, 'short-lived-created', { taskId: '241', eventType: 'pr-created' });
    const finished = await waitForPhase(namespace, 'short-lived-created', 'Succeeded');
    const completed = Date.parse(finished.status!.completionTime!);
    await waitFor('the finished request to be deleted', async () =>
      (await getResumeRequest(namespace, 'short-lived-created')) === undefined ? true : undefined,
    );
    expect(Date.now() - completed).toBeGreaterThanOrEqual(2000 - 1000);

    expect(await operator.stop()).toBe(0);
    expect(operator.logs()).toMatch(/"message":"controller stopped"/);
    const lease = await plane()
      .kubeConfig()
      .makeApiClient(k8s.CoordinationV1Api)
      .readNamespacedLease({ name: `operator-${namespace}`, namespace: 'workflow-resume-system' });
    expect(lease.spec?.holderIdentity ?? undefined).toBeUndefined();
  });
});
