// `BENCH_PROFILE=rate make bench`: both resume paths under open-loop arrivals (open-loop.ts) at
// each rate of a list, lowest first, each for a bounded schedule drawn from a seed, so both paths
// are offered the very same arrivals. OURS: one ResumeRequest create per arrival, the operator
// resuming; ARGO_CLI: one `argo resume` process per arrival, as an Argo Events `argoWorkflow`
// trigger runs it. Every workflow of every rate is made and suspended before the first run, so
// each run starts on a quiet plane. At each rate OURS runs first, then ARGO_CLI; the operator's
// CPU time is read around each of its runs. A counting pass through the proxy then gives the
// API requests per resume, as in the default profile.
import * as k8s from '@kubernetes/client-node';
import type { ResumeRequest } from '../src/api/resume-request.js';
import type { Workflow } from '../src/api/workflow.js';
import { argoResume } from './argo-cli.js';
import { poissonArrivals } from './arrivals.js';
import { measureBatch } from './batch.js';
import { cleanUp, type CleanUpStep } from './clean-up.js';
import { countOursRequests, type RequestCount } from './count-ours-requests.js';
import type { Deadline } from './deadline.js';
import { createNamespace } from './namespaces.js';
import { ObjectWatch } from './object-watch.js';
import { runOpenLoop, type OpenLoopResult } from './open-loop.js';
import { cpuPerResume, idleCpuPerMs, startCpuMeter } from './operator-cpu.js';
import { startOperatorProcess, type OperatorProcess } from './operator-process.js';
import { peakRssMiB } from './peak-rss.js';
import { watchPlays } from './play-watches.js';
import { progress } from './progress.js';
import { resumeByRequests } from './request-batch.js';
import {
  createPrCreatedRequest,
  hasSucceeded,
  requestCollection,
  settledOtherwise,
} from './resume-requests.js';
import type { OpenLoopOptions, RateSettings } from './settings.js';
import {
  createSuspendedWorkflows,
  deleteWorkflows,
  hasEnded,
  isResumedAt,
  SUSPEND_NODE,
  workflowCollection,
} from './workflows.js';

/** Creates in flight while filling the namespaces: the Argo controller is what limits the pace. */
const FILL_CREATES_IN_FLIGHT = 16;
/** Arrivals may still start this long after the schedule ends (at least; the schedule's length if longer). */
const MIN_GRACE_MS = 10_000;
/** The operator settles after the warm-up within this, before its idle CPU is measured. */
const SETTLE_MS = 1000;

export interface PathRun extends OpenLoopResult {
  /** The operator's CPU time per resume during the run, its idle use taken out (ours only). */
  cpuMsPerResume?: number;
}

export interface RateRun {
  offeredPerSecond: number;
  ours: PathRun;
  argoCli: PathRun;
}

export interface RateResult {
  settings: RateSettings;
  runs: RateRun[];
  /** The operator's peak RSS over all its runs. */
  peakRssMiB: number;
  requests: RequestCount;
}

/** The arrivals of one rate: offsets and the workflow each resumes. */
interface Schedule {
  perSecond: number;
  offsetsMs: number[];
  names: string[];
}

function schedules(rate: RateSettings): Schedule[] {
  return rate.rates.map((perSecond, i) => {
    const offsetsMs = poissonArrivals(perSecond, rate.seconds, rate.seed + i);
    return { perSecond, offsetsMs, names: offsetsMs.map((_, k) => `r${i + 1}-${k + 1}`) };
  });
}

const warmUpNames = (count: number) => Array.from({ length: count }, (_, i) => `warm-up-${i + 1}`);

/** Resolves with the time the workflow is seen past its gate. */
const resumedAt = (workflows: ObjectWatch<Workflow>, name: string) =>
  workflows.until(name, isResumedAt(SUSPEND_NODE), hasEnded).then(({ atMs }) => atMs);

/** Never resolves; rejects as `settling` does, so a refused request ends a race at once. */
const rejectionOf = (settling: Promise<unknown>) => settling.then(() => new Promise<never>(() => undefined));

export async function runRate(options: OpenLoopOptions): Promise<RateResult> {
  const { plane, rate, warmUp, n, deadline } = options;
  const kubeConfig = plane.kubeConfig;
  const api = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const oursNamespace = await createNamespace(kubeConfig, 'bench-rate-ours', deadline);
  const argoNamespace = await createNamespace(kubeConfig, 'bench-rate-argo', deadline);
  const planned = schedules(rate);
  const issueForMs = rate.seconds * 1000 + Math.max(MIN_GRACE_MS, rate.seconds * 1000);
  const release: CleanUpStep[] = [];
  try {
    const ours = await watchPlays(kubeConfig, oursNamespace, deadline);
    release.push(ours.close);
    const argoWorkflows = await ObjectWatch.start<Workflow>(
      kubeConfig,
      workflowCollection(argoNamespace),
      deadline,
    );
    release.push(() => argoWorkflows.close());

    progress(`rate: starting the operator on namespace ${oursNamespace}`);
    const operator = await startOperatorProcess({ plane, namespaces: [oursNamespace], deadline });
    release.push(() => operator.stop());
    await operator.waitUntilLeading(deadline);

    const names = [...warmUpNames(warmUp), ...planned.flatMap((schedule) => schedule.names)];
    progress(
      `rate: creating ${names.length} play workflows in each of ${oursNamespace} and ${argoNamespace}, ` +
        'and waiting until each is suspended',
    );
    for (const [namespace, watch] of [
      [oursNamespace, ours.workflows],
      [argoNamespace, argoWorkflows],
    ] as const) {
      await createSuspendedWorkflows({
        kubeConfig,
        watch,
        namespace,
        names,
        deadline,
        concurrency: FILL_CREATES_IN_FLIGHT,
      });
    }

    if (warmUp > 0) {
      progress(`rate: warm-up, ${warmUp} resumes on each path, ${rate.inFlight} in flight`);
      await resumeByRequests({
        label: 'rate, ours warm-up',
        api,
        namespace: oursNamespace,
        names: warmUpNames(warmUp),
        concurrency: rate.inFlight,
        workflows: ours.workflows,
        requests: ours.requests,
        deadline,
      });
      await measureBatch({
        description: 'rate, argo cli warm-up',
        names: warmUpNames(warmUp),
        concurrency: rate.inFlight,
        workflows: argoWorkflows,
        resume: (name) => argoResume(plane, argoNamespace, name),
        deadline,
      });
    }
    await deadline.sleep('the operator to settle after the warm-up', SETTLE_MS);
    const idlePerMs = await idleCpuPerMs(operator.pid, deadline);

    const runs: RateRun[] = [];
    for (const schedule of planned) {
      const label = `rate ${schedule.perSecond}/s`;
      progress(
        `${label}: ${schedule.offsetsMs.length} arrivals over ${rate.seconds} s, ours ` +
          `(${rate.inFlight} create${rate.inFlight === 1 ? '' : 's'} in flight)`,
      );
      const oursRun = await runOurs({
        label,
        schedule,
        api,
        namespace: oursNamespace,
        watches: ours,
        operator,
        idlePerMs,
        inFlight: rate.inFlight,
        issueForMs,
        deadline,
      });
      progress(`${label}: ${summaryOf(oursRun)}`);
      progress(`${label}: argo cli (${rate.inFlight} argo resume at a time)`);
      const argoRun = await runOpenLoop({
        description: `${label}, argo cli`,
        offsetsMs: schedule.offsetsMs,
        inFlight: rate.inFlight,
        issueForMs,
        start: (index) => {
          const name = schedule.names[index]!;
          return {
            resumed: resumedAt(argoWorkflows, name),
            call: argoResume(plane, argoNamespace, name),
          };
        },
        deadline,
      });
      progress(`${label}: ${summaryOf(argoRun)}`);
      runs.push({ offeredPerSecond: schedule.perSecond, ours: oursRun, argoCli: argoRun });
    }
    const peak = peakRssMiB(operator.pid);
    await operator.stop();

    const requests = await countOursRequests({ plane, n, concurrency: rate.inFlight, deadline });
    return { settings: rate, runs, peakRssMiB: peak, requests };
  } finally {
    await cleanUp(release, 'rate');
    await Promise.allSettled([
      deleteWorkflows(kubeConfig, oursNamespace),
      deleteWorkflows(kubeConfig, argoNamespace),
      api.deleteCollectionNamespacedCustomObject(requestCollection(oursNamespace)),
    ]);
  }
}

function summaryOf(run: OpenLoopResult): string {
  const sorted = [...run.latenciesMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return (
    `${run.resumed} of ${run.arrivals} resumed${run.abandoned > 0 ? ` (${run.abandoned} abandoned)` : ''}, ` +
    `median ${at(0.5).toFixed(0)} ms, slowest 1 % from ${at(0.99).toFixed(0)} ms`
  );
}

/**
 * One open-loop run through the operator: a ResumeRequest per arrival. Done once every sent
 * arrival's workflow is resumed and its request Succeeded; a request that settles any other way
 * fails the run with its reason.
 */
async function runOurs(options: {
  label: string;
  schedule: Schedule;
  api: k8s.CustomObjectsApi;
  namespace: string;
  watches: { workflows: ObjectWatch<Workflow>; requests: ObjectWatch<ResumeRequest> };
  operator: OperatorProcess;
  idlePerMs: number;
  inFlight: number;
  issueForMs: number;
  deadline: Deadline;
}): Promise<PathRun> {
  const { label, schedule, api, namespace, watches, operator, deadline } = options;
  const settled: Promise<unknown>[] = [];
  const meter = startCpuMeter(operator.pid);
  const run = await runOpenLoop({
    description: `${label}, ours`,
    offsetsMs: schedule.offsetsMs,
    inFlight: options.inFlight,
    issueForMs: options.issueForMs,
    start: (index) => {
      const name = schedule.names[index]!;
      const request = `${name}-pr-created`;
      const succeeded = watches.requests.until(request, hasSucceeded, settledOtherwise);
      settled.push(succeeded);
      return {
        // A refused request fails the run at once rather than leaving its workflow to the deadline.
        resumed: Promise.race([resumedAt(watches.workflows, name), rejectionOf(succeeded)]),
        call: createPrCreatedRequest(api, namespace, request, name),
      };
    },
    deadline,
  });
  await deadline.within(`${label}, ours: ResumeRequests to reach Succeeded`, Promise.all(settled));
  const used = await meter.stop(deadline);
  return {
    ...run,
    ...(run.resumed > 0 ? { cpuMsPerResume: cpuPerResume(used, options.idlePerMs, run.resumed) } : {}),
  };
}
