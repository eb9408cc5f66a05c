// One open-loop run, the same for every resume path: arrivals come at their scheduled times
// whatever happens to earlier ones, and wait in line for one of `inFlight` client slots, as
// events wait for a Sensor's trigger. Each arrival's latency runs from its *scheduled* time to the
// moment its workflow is seen resumed, so time spent waiting for a slot counts, as wrk2 counts
// it: a closed loop would not send the request that waits, and so would never time that wait
// (coordinated omission). Arrivals that could not even start within `issueForMs` of the start
// are abandoned, so an overloaded path cannot stretch the run without bound; their latency is
// counted as the time they had waited by then, a lower bound.
import { performance } from 'node:perf_hooks';
import type { Deadline } from './deadline.js';

/** The first arrival is scheduled this long after the run starts, so set-up never delays it. */
const LEAD_MS = 20;

export interface Started {
  /**
   * Resolves with the time (performance.now(), or the test clock's) at which the workflow is seen
   * resumed, or with `undefined` when the arrival failed and never will be (a delivery refused).
   */
  resumed: Promise<number | undefined>;
  /** The client's call; the slot is busy until it settles. */
  call: Promise<void>;
}

export interface OpenLoopResult {
  arrivals: number;
  /** Arrivals whose workflow was resumed. */
  resumed: number;
  /** Arrivals sent that failed (their `resumed` gave `undefined`); not in `latenciesMs`. */
  failed: number;
  /** Arrivals that found no free slot within `issueForMs` of the start, and were never sent. */
  abandoned: number;
  /** Per arrival but the failed, scheduled time to resumed (or, when abandoned, to when it was given up). */
  latenciesMs: number[];
  /** Per sent arrival, scheduled time to the start of its call: the wait for a client slot. */
  startLagsMs: number[];
  /** Start of the schedule to the last resume. */
  elapsedMs: number;
}

/** Time as the run reads it; tests pass a virtual one. */
export interface RunClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export async function runOpenLoop(options: {
  description: string;
  /** Offsets of the arrivals from the start, in increasing order (arrivals.ts). */
  offsetsMs: readonly number[];
  inFlight: number;
  issueForMs: number;
  /** Starts arrival `index`: registers what marks it resumed, then makes the client's call. */
  start: (index: number) => Started;
  deadline: Deadline;
  clock?: RunClock;
}): Promise<OpenLoopResult> {
  const { description, offsetsMs, inFlight, issueForMs, start, deadline } = options;
  const clock = options.clock ?? {
    now: () => performance.now(),
    sleep: (ms: number) => deadline.sleep(`${description}: the next arrival`, ms),
  };
  if (!(Number.isInteger(inFlight) && inFlight >= 1))
    throw new RangeError(`client slots ${inFlight} is not a positive integer`);
  const count = offsetsMs.length;
  const resumedAt: Array<Promise<number | undefined> | undefined> = new Array(count);
  const startLagsMs: number[] = [];
  let givenUpAt: number | undefined;
  let next = 0;
  const origin = clock.now() + LEAD_MS;
  const slot = async () => {
    while (next < count) {
      const index = next++;
      const due = origin + offsetsMs[index]!;
      const early = due - clock.now();
      if (early > 0) await clock.sleep(early);
      const now = clock.now();
      if (now - origin > issueForMs) {
        givenUpAt ??= now;
        continue;
      }
      startLagsMs.push(now - due);
      const started = start(index);
      resumedAt[index] = started.resumed;
      await started.call;
    }
  };
  await deadline.within(
    `${description}: sending ${count} arrivals`,
    Promise.all(Array.from({ length: Math.min(inFlight, count) }, slot)),
  );
  const done = await deadline.within(
    `${description}: workflows of the sent arrivals to be resumed`,
    Promise.all(resumedAt.map((resumed) => resumed ?? Promise.resolve(undefined))),
  );
  const latenciesMs: number[] = [];
  const resumed: number[] = [];
  let failed = 0;
  done.forEach((at, index) => {
    const sent = resumedAt[index] !== undefined;
    if (sent && at === undefined) failed += 1;
    else latenciesMs.push((at ?? givenUpAt!) - (origin + offsetsMs[index]!));
    if (at !== undefined) resumed.push(at);
  });
  return {
    arrivals: count,
    resumed: resumed.length,
    failed,
    abandoned: count - resumed.length - failed,
    latenciesMs,
    startLagsMs,
    elapsedMs: resumed.length === 0 ? 0 : Math.max(...resumed) - origin,
  };
}
