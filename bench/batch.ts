// One measured batch, the same for every resume path: a client with `concurrency` slots issues
// one resume per workflow (a slot is busy while its call runs, as a script or a sensor would
// be), and each resume's latency runs from the moment its call starts to the watch event that
// shows the workflow's suspend node Succeeded. Wall time runs from the first call to the last
// such event.
import { performance } from 'node:perf_hooks';
import type { Workflow } from '../src/api/workflow.js';
import type { Deadline } from './deadline.js';
import type { ObjectWatch, Observed } from './object-watch.js';
import { runPool } from './pool.js';
import { SUSPEND_NODE, hasEnded, isResumedAt } from './workflows.js';

export interface BatchResult {
  latenciesMs: number[];
  wallMs: number;
  /** performance.now() of the first call. */
  startedAtMs: number;
}

export async function measureBatch(options: {
  description: string;
  names: readonly string[];
  concurrency: number;
  workflows: ObjectWatch<Workflow>;
  /** Starts the resume of one workflow; resolves when the client's call returns. */
  resume: (name: string, index: number) => Promise<void>;
  deadline: Deadline;
}): Promise<BatchResult> {
  const { names, workflows, deadline } = options;
  const issuedAt: number[] = [];
  const resumed: Promise<Observed<Workflow>>[] = [];
  await deadline.within(
    `${options.description}: issuing ${names.length} resumes`,
    runPool(names, options.concurrency, async (name, index) => {
      // Registered before the call, so the event that answers it cannot be missed.
      resumed[index] = workflows.until(name, isResumedAt(SUSPEND_NODE), hasEnded);
      issuedAt[index] = performance.now();
      await options.resume(name, index);
    }),
  );
  const observed = await deadline.within(
    `${options.description}: ${names.length} workflows to pass ${SUSPEND_NODE}`,
    Promise.all(resumed),
  );
  const latenciesMs = observed.map(({ atMs }, index) => atMs - issuedAt[index]!);
  const startedAtMs = Math.min(...issuedAt);
  return {
    latenciesMs,
    wallMs: Math.max(...observed.map(({ atMs }) => atMs)) - startedAtMs,
    startedAtMs,
  };
}
