// OURS, counted: the API requests the operator makes per resume, in a pass of its own so that
// the proxy that counts them (counting-proxy.ts) costs the timed pass nothing.
//
// Counted: the operator's requests from the first ResumeRequest create until it has gone quiet
// after the last request Succeeded (its follow-up writes, such as Events, included), minus what
// the same operator, idle, makes in a window of the same length right after (leader-lease
// renewals, watch restarts), divided by N; by kind, and split into writes (create, update,
// patch, delete: Events included) and reads (get, list, watch, discovery). The apiserver's request metric could not be used
// for this: it has no user label, and the Argo controller and this benchmark touch the same
// resources.
import { performance } from 'node:perf_hooks';
import { formatTally, perResume, tallySince, type PerResume, type Tally } from './api-requests.js';
import { startCountingProxy } from './counting-proxy.js';
import { withOursSession } from './ours-session.js';
import { progress } from './progress.js';
import type { PassOptions } from './settings.js';

/** No request for this long after the last resume means the operator has finished its work. */
const QUIET_MS = 1000;
/** The idle window matches the run's length, up to this; the idle count is then scaled. */
const MAX_IDLE_WINDOW_MS = 60_000;

export interface RequestCount {
  perResume: PerResume;
  run: { ms: number; requests: Tally };
  idle: { ms: number; requests: Tally };
}

export async function countOursRequests(options: Omit<PassOptions, 'warmUp'>): Promise<RequestCount> {
  const { plane, n, concurrency, deadline } = options;
  const label = 'ours, counting API requests';
  const proxy = await startCountingProxy(plane.dir, plane.apiserverPort);
  try {
    // No warm-up: the count does not depend on how warm the code is.
    const sessionOptions = { plane, n, warmUp: 0, deadline, label, apiPort: proxy.port };
    return await withOursSession(sessionOptions, async (session) => {
      const before = proxy.snapshot();
      const { batch } = await session.resumeAll(concurrency);
      await proxy.quiet(QUIET_MS, deadline);
      const runMs = performance.now() - batch.startedAtMs;
      const run = tallySince(proxy.snapshot(), before);

      const idleMs = Math.min(runMs, MAX_IDLE_WINDOW_MS);
      progress(`${label}: counting the idle operator's requests for ${(idleMs / 1000).toFixed(1)} s`);
      const idleBefore = proxy.snapshot();
      await deadline.sleep('the idle baseline window', idleMs);
      const idle = tallySince(proxy.snapshot(), idleBefore);
      progress(`${label}: during the run: ${formatTally(run)}`);
      progress(`${label}: while idle: ${formatTally(idle)}`);

      return {
        perResume: perResume(run, idle, runMs / idleMs, n),
        run: { ms: runMs, requests: run },
        idle: { ms: idleMs, requests: idle },
      };
    });
  } finally {
    await proxy.close();
  }
}
