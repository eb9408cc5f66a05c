// One operator serving two namespaces, one of them hostile: requests with regex bombs on the
// longest titles, statuses that cannot fit the CRD, names as long as names may be. The other
// namespace's play is resumed as usual and /healthz answers throughout, and each hostile
// request ends with a phase and a reason instead of being retried forever.
import { createNamespace, kubectlOk, waitFor } from '../support/plane.js';
import { startOperator, waitUntilLeading, type RunningOperator } from '../support/operator.js';
import { createResumeRequest, githubFacts, waitForPhase } from '../support/resume-requests.js';
import { createWorkflow, playWorkflow, waitForSuspendAt } from '../support/workflows.js';

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
async function healthWhile<T>(work: Promise<T>): Promise<{ result: T; slowestMs: number }> {
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
      github: githubFacts('pull_request', 'opened', { headRef: 'task-7-login', title: 'Login' }),
    });

    const { result, slowestMs } = await healthWhile(
      Promise.all([
        waitForPhase(tenant, 'pr-created', 'Succeeded'),
        ...BOMBS.map((_, i) => waitForPhase(hostile, `bomb-${i}`, 'Failed')),
        waitForPhase(hostile, longName, 'Failed'),
      ]),
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
