// One operator serving two namespaces, one of them hostile: requests with regex bombs on the
// longest titles, statuses that cannot fit the CRD, names as long as names may be; then workflows
// whose compressed status inflates to a huge Suspend message, workflows heavier than a
// namespace's share of the cache, relabel loops and requests whose rules read workflows whole.
// The other namespace's play is resumed as usual and /healthz answers throughout, each hostile
// request ends with a phase and a reason instead of being retried forever, and what the cache
// cannot hold is skipped and reported. (What this costs in memory and time is measured by
// `BENCH_PROFILE=hostile make bench`, not asserted here.)
import { heavyWorkflow, nodeStatusBomb } from '../../bench/hostile-workflows.js';
import { decompressNodes } from '../../src/domain/compressed-nodes.js';
import { mergePatch } from '../../src/runtime/api-call.js';
import { createNamespace, kubectlOk, waitFor } from '../support/plane.js';
import { startOperator, waitUntilLeading, type RunningOperator } from '../support/operator.js';
import { createResumeRequest, githubFacts, waitForPhase } from '../support/resume-requests.js';
import {
  createWorkflow,
  customObjects,
  getWorkflow,
  playWorkflow,
  waitForSuspendAt,
} from '../support/workflows.js';

const longName = `${'c'.repeat(240)}-labels`;
const BOMBS = ['^((a|aa)+|(a|b)+)+$', '(a+)+$', '^(\\w+\\s?)*$', '(a|a?)+b', '(.*a){20}$'];

let hostile: string;
let tenant: string;
let operator: RunningOperator;

beforeAll(async () => {
  hostile = await createNamespace('hostile');
  tenant = await createNamespace('tenant');
  operator = await startOperator(`hostile-${hostile}`, `${hostile},${tenant}`, {
    WRO_LEASE_NAME: `operator-${hostile}`,
  });
  await waitUntilLeading(operator);
}, 5 * 60_000);

afterAll(async () => {
  await operator?.stop();
});

/** Every /healthz answer while `work` runs: the event loop never stalls for long. */
async function healthWhile<T>(
  work: Promise<T>,
  operator: RunningOperator,
): Promise<{ result: T; slowestMs: number }> {
  let done = false;
  let slowestMs = 0;
  const probe = (async () => {
    while (!done) {
      const started = Date.now();
      const response = await fetch(`http://127.0.0.1:${operator.port}/healthz`, {
        signal: AbortSignal.timeout(5000),
      });
      expect(response.ok).toBe(true);
      slowestMs = Math.max(slowestMs, Date.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  try {
    const result = await work;
    return { result, slowestMs };
  } finally {
    done = true;
    await probe;
  }
}

describe('a hostile tenant', () => {
  it('cannot stall the operator for another namespace', async () => {
    await createWorkflow(hostile, playWorkflow('bait', { 'task-id': '66' }));
    await createWorkflow(tenant, playWorkflow('play', { 'task-id': '7' }));
    await waitForSuspendAt(hostile, 'bait', 'wait-pr-created');
    await waitForSuspendAt(tenant, 'play', 'wait-pr-created');

    const title = `${'a'.repeat(255)}!`;
    const bombs = BOMBS.map((value, i) =>
      createResumeRequest(hostile, `bomb-${i}`, {
        repository: 'acme-org/widgets',
        github: githubFacts('pull_request', 'opened', { headRef: 'task-66-x', title }),
        validationRules: [{ field: 'github.title', operator: 'Matches', value }],
      }),
    );
    const conflicting = createResumeRequest(hostile, longName, {
      github: githubFacts('pull_request', 'opened', {
        headRef: 'main',
        labels: Array.from({ length: 100 }, (_, i) => `task-${'x'.repeat(50)}${i}`),
      }),
    });
    await Promise.all([...bombs, conflicting]);
    await createResumeRequest(tenant, 'pr-created', {
      repository: 'acme-org/widgets',
      github: githubFacts('pull_request', 'opened', { headRef: 'task-7-login', title: 'Login' }),
    });

    const { result, slowestMs } = await healthWhile(
      Promise.all([
        waitForPhase(tenant, 'pr-created', 'Succeeded'),
        ...BOMBS.map((_, i) => waitForPhase(hostile, `bomb-${i}`, 'Failed')),
        waitForPhase(hostile, longName, 'Failed'),
      ]),
      operator,
    );
    const [resumed, ...failed] = result;
    expect(resumed.status?.reason).toBe('Resumed');
    for (const request of failed.slice(0, BOMBS.length)) {
      expect(request.status?.reason).toBe('ValidationFailed');
      expect(request.status?.validationErrors?.[0]).toContain('does not match');
    }
    const labels = failed.at(-1)!;
    expect(labels.status?.reason).toBe('AmbiguousTaskId');
    expect(labels.status?.message?.length).toBeLessThanOrEqual(4096);
    expect(labels.status?.message?.endsWith('…')).toBe(true);
    expect(slowestMs).toBeLessThan(5000);

    // The request with a 247-character name still gets its Event, under a hashed name.
    const events = await waitFor('an Event on the long-named request', async () => {
      const listed = JSON.parse(
        await kubectlOk([
          '-n',
          hostile,
          'get',
          'events',
          '--field-selector',
          `involvedObject.name=${longName}`,
          '-o',
          'json',
        ]),
      ) as { items: { metadata: { name: string }; reason: string }[] };
      return listed.items.length > 0 ? listed.items : undefined;
    });
    expect(events[0]!.reason).toBe('AmbiguousTaskId');
    expect(events[0]!.metadata.name.length).toBeLessThanOrEqual(253);
  });
});

/** Warning Events with `reason` on the named object. */
async function warnings(namespace: string, name: string, reason: string): Promise<unknown[]> {
  const listed = JSON.parse(
    await kubectlOk([
      '-n',
      namespace,
      'get',
      'events',
      '--field-selector',
      `involvedObject.name=${name},reason=${reason}`,
      '-o',
      'json',
    ]),
  ) as { items: unknown[] };
  return listed.items;
}

const skippedCount = (metrics: string, reason: string) =>
  Number(
    new RegExp(
      `^workflow_resume_objects_skipped_total\\{kind="Workflow",reason="${reason}"\\} (\\d+)`,
      'm',
    ).exec(metrics)?.[1] ?? 0,
  );

describe('a tenant trying to exhaust the operator', () => {
  const NODE_BOMBS = 30;
  const BOMB_BYTES = 2 << 20;
  const HEAVY = 3;
  let bombing: string;
  let other: string;
  let operator: RunningOperator;

  beforeAll(async () => {
    bombing = await createNamespace('bombing');
    other = await createNamespace('other');
    operator = await startOperator(`exhaust-${bombing}`, `${bombing},${other}`, {
      WRO_LEASE_NAME: `operator-${bombing}`,
      // A namespace share small enough that a few heavy workflows pass it, and an inflation
      // budget that a few of the bombs exhaust (the benchmark's hostile profile measures the
      // stock settings against thirty full-size bombs).
      WRO_MAX_CACHED_WORKFLOW_BYTES_PER_NAMESPACE: String(256 << 10),
      WRO_MAX_INFLATED_BYTES_PER_NAMESPACE: String(16 << 20),
      // The stock lease timings (the tests' own are tuned for fast failovers): the attack must
      // not cost the leader its lease as deployed.
      WRO_LEASE_DURATION_MS: '15000',
      WRO_RENEW_DEADLINE_MS: '10000',
      WRO_RETRY_PERIOD_MS: '2000',
    });
    await waitUntilLeading(operator);
  }, 5 * 60_000);

  afterAll(async () => {
    await operator?.stop();
  });

  it('gets bounded copies, skips and reports what passes its share, and leaves the other tenant resumed', async () => {
    await createWorkflow(other, playWorkflow('play', { 'task-id': '7' }));
    await createWorkflow(bombing, playWorkflow('bait', { 'task-id': '66', team: 'red' }));
    await waitForSuspendAt(other, 'play', 'wait-pr-created');
    await waitForSuspendAt(bombing, 'bait', 'wait-pr-created');

    const attack = (async () => {
      // Thirty workflows whose compressed status inflates to a 2 MiB Suspend message.
      for (let i = 0; i < NODE_BOMBS; i++)
        await createWorkflow(bombing, nodeStatusBomb(bombing, `bomb-${i}`, BOMB_BYTES));
      // Workflows each heavier than the namespace's share of the cache.
      for (let i = 0; i < HEAVY; i++)
        await createWorkflow(bombing, heavyWorkflow(bombing, `heavy-${i}`, 300));
      // One bomb relabelled again and again: each version arrives whole through the watch.
      for (let i = 0; i < 40; i++) {
        await customObjects().patchNamespacedCustomObject(
          {
            group: 'argoproj.io',
            version: 'v1alpha1',
            plural: 'workflows',
            namespace: bombing,
            name: 'bomb-0',
            body: { metadata: { labels: { loop: String(i) } } },
          },
          mergePatch,
        );
      }
      // Requests whose rules read the workflow to resume whole, with costly patterns.
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          createResumeRequest(bombing, `rules-${i}`, {
            taskId: '66',
            eventType: 'pr-created',
            validationRules: [
              { field: "workflow.metadata.labels['team']", operator: 'Equals', value: 'blue' },
              { field: 'workflow.spec.entrypoint', operator: 'Matches', value: `[a-z]{${200 + i}}` },
            ],
          }),
        ),
      );
      // And a request for a bomb: its node's message was cut in the cache, so the resume is
      // written from a fresh read of the whole workflow.
      await createResumeRequest(bombing, 'bomb-resume', { taskId: 'bomb-1', eventType: 'pr-created' });
    })();
    await attack;
    await createResumeRequest(other, 'pr-created', {
      repository: 'acme-org/widgets',
      github: githubFacts('pull_request', 'opened', { headRef: 'task-7-login', title: 'Login' }),
    });

    const { result, slowestMs } = await healthWhile(
      Promise.all([
        waitForPhase(other, 'pr-created', 'Succeeded', 60_000),
        ...Array.from({ length: 8 }, (_, i) => waitForPhase(bombing, `rules-${i}`, 'Failed', 60_000)),
        waitForPhase(bombing, 'bomb-resume', 'Succeeded', 60_000),
      ]),
      operator,
    );
    const [resumed, ...settled] = result;
    expect(resumed.status?.reason).toBe('Resumed');
    for (const request of settled.slice(0, 8)) {
      expect(request.status?.reason).toBe('ValidationFailed');
      expect(request.status?.validationErrors?.[0]).toContain('labels[\'team\'] is "red", not "blue"');
    }
    expect(settled.at(-1)!.status?.reason).toBe('Resumed');
    expect(slowestMs).toBeLessThan(5000);
    expect(operator.process.exitCode).toBeNull();

    // The bomb's node was resumed whole: its long message kept, the resume's note after it.
    const bomb = await getWorkflow(bombing, 'bomb-1');
    const node = decompressNodes(bomb.status!.compressedNodes!, 32 << 20)['bomb-1-1']!;
    expect(node.phase).toBe('Succeeded');
    expect(node.message!.length).toBeGreaterThan(BOMB_BYTES);
    expect(node.message!.endsWith(`Resumed by ResumeRequest ${bombing}/bomb-resume (pr-created)`)).toBe(true);

    // What did not fit the namespace's share was skipped, counted and told to its owner.
    const metrics = await operator.metrics();
    expect(skippedCount(metrics, 'CacheBudgetExceeded')).toBeGreaterThanOrEqual(HEAVY);
    const told = await waitFor('Warning Events on the heavy workflows', async () => {
      const found = await Promise.all(
        Array.from({ length: HEAVY }, (_, i) => warnings(bombing, `heavy-${i}`, 'CacheBudgetExceeded')),
      );
      return found.every((events) => events.length > 0) ? found : undefined;
    });
    expect(told).toHaveLength(HEAVY);
    // The bombs themselves fit, cut to their bounded copies; the namespace could only inflate so
    // many of them in a minute, and the others wait their turn, skipped for now.
    expect(skippedCount(metrics, 'NodeStatusTooLarge')).toBe(0);
    expect(skippedCount(metrics, 'InflationBudgetExceeded')).toBeGreaterThan(0);
    expect(skippedCount(metrics, 'InflationBudgetExceeded')).toBeLessThan(NODE_BOMBS);
  });
});
