// `BENCH_PROFILE=pipeline make bench`: the whole path a user sees, from GitHub's delivery to the
// resumed workflow. Signed `pull_request` `opened` deliveries go over HTTP to the plane's Argo
// Events EventSource (hack/plane up --events) on a Poisson schedule at each rate of a list, as
// GitHub sends them: each on its own, whether or not earlier ones were answered. The EventSource
// stores each on the JetStream bus and answers; the shipped Sensor creates a ResumeRequest; the
// operator, under its shipped RBAC, resumes the workflow. Per arrival the benchmark notes when the
// delivery was answered, when its ResumeRequest appeared and when its workflow was resumed (both
// through its own watches), so the whole path (answered → resumed) splits into what the
// EventSource, bus and Sensor add (answered → request created) and the operator's own figure
// (created → resumed), on the very same arrivals.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as k8s from '@kubernetes/client-node';
import type { ResumeRequest } from '../src/api/resume-request.js';
import type { Workflow } from '../src/api/workflow.js';
import { REPOSITORY_LABEL, webhookFor } from '../soak/payloads.js';
import { deliver, type WebhookTarget } from '../test/support/github-webhook.js';
import { poissonArrivals } from './arrivals.js';
import { cleanUp, type CleanUpStep } from './clean-up.js';
import { countOursRequests, type RequestCount } from './count-ours-requests.js';
import type { Deadline } from './deadline.js';
import type { ObjectWatch } from './object-watch.js';
import { runOpenLoop, type OpenLoopResult } from './open-loop.js';
import { cpuPerResume, idleCpuPerMs, startCpuMeter } from './operator-cpu.js';
import { startOperatorProcess } from './operator-process.js';
import { peakRssMiB } from './peak-rss.js';
import type { BenchPlane } from './plane.js';
import { watchPlays } from './play-watches.js';
import { runPool } from './pool.js';
import { cpuMs } from './process-cpu.js';
import { progress } from './progress.js';
import { requestCollection, settledOtherwise } from './resume-requests.js';
import type { OpenLoopOptions, RateSettings } from './settings.js';
import {
  createSuspendedWorkflows,
  hasEnded,
  isResumedAt,
  playWorkflow,
  SUSPEND_NODE,
  workflowCollection,
} from './workflows.js';

/**
 * Deliveries awaiting their answer at once. GitHub sends each delivery on its own; this only
 * bounds the sockets, and at a few milliseconds per answer it is never reached at these rates.
 */
export const DELIVERIES_IN_FLIGHT = 64;
/** A delivery not answered within this failed, as GitHub gives up on a slow endpoint after 10 s. */
const DELIVERY_TIMEOUT_MS = 10_000;
const FILL_CREATES_IN_FLIGHT = 16;
const MIN_GRACE_MS = 10_000;
const SETTLE_MS = 1000;
/** The pipeline's processes whose CPU time is read around each run (their pid files in the plane). */
export const PIPELINE_PROCESSES = ['eventsource', 'nats-server', 'sensor'] as const;
export type PipelineProcess = (typeof PIPELINE_PROCESSES)[number];
/** Marks the benchmark's workflows, so a reused plane's namespace loses only those. */
const RUN_LABEL = 'bench-pipeline-run';

/** What the benchmark saw of one arrival, in performance.now() milliseconds. */
export interface ArrivalTimes {
  answeredAtMs?: number;
  /** The delivery was answered with a 2xx. */
  ok?: boolean;
  /** Sent to answered. */
  answerMs?: number;
  createdAtMs?: number;
  resumedAtMs?: number;
}

export interface PipelineRun {
  offeredPerSecond: number;
  /** Scheduled time to resumed, as the rate profile times it, with the failed and abandoned counts. */
  loop: OpenLoopResult;
  arrivals: ArrivalTimes[];
  /** The operator's CPU time per resume during the run, its idle use taken out. */
  cpuMsPerResume?: number;
  /** The same for each process of the pipeline, each one's idle use taken out. */
  pipelineCpuMsPerResume: Partial<Record<PipelineProcess, number>>;
}

export interface PipelineResult {
  settings: RateSettings;
  runs: PipelineRun[];
  peakRssMiB: number;
  requests: RequestCount;
}

/** Task ids of this run: numeric (they are pull request numbers too) and apart from earlier runs'. */
const firstTask = () => 1000 + (Math.floor(Date.now() / 1000) % 100_000) * 10_000;

const pidOf = (plane: BenchPlane, name: PipelineProcess) =>
  Number(readFileSync(join(plane.dir, `${name}.pid`), 'utf8').trim());

export async function runPipeline(options: OpenLoopOptions): Promise<PipelineResult> {
  const { plane, rate, warmUp, n, deadline } = options;
  if (!plane.events) throw new Error(`the plane in ${plane.dir} runs no Argo Events pipeline`);
  const { namespace, webhook } = plane.events;
  const kubeConfig = plane.kubeConfig;
  const api = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const run = `p${Date.now().toString(36)}`;
  let task = firstTask();
  const plan = (count: number, prefix: string) =>
    Array.from({ length: count }, (_, k) => ({ name: `${run}-${prefix}-${k + 1}`, task: String(task++) }));
  const warmUps = plan(warmUp, 'warm-up');
  const planned = rate.rates.map((perSecond, i) => {
    const offsetsMs = poissonArrivals(perSecond, rate.seconds, rate.seed + i);
    return { perSecond, offsetsMs, plays: plan(offsetsMs.length, `r${i + 1}`) };
  });
  const all = [...warmUps, ...planned.flatMap((schedule) => schedule.plays)];
  const issueForMs = rate.seconds * 1000 + Math.max(MIN_GRACE_MS, rate.seconds * 1000);
  const release: CleanUpStep[] = [];
  const requestNames = new Set<string>();
  try {
    const watches = await watchPlays(kubeConfig, namespace, deadline);
    release.push(watches.close);
    const deliveries = new DeliveryLedger(watches.requests, requestNames);

    progress(`pipeline: starting the operator on namespace ${namespace}, where the Sensor creates requests`);
    const operator = await startOperatorProcess({ plane, namespaces: [namespace], deadline });
    release.push(() => operator.stop());
    await operator.waitUntilLeading(deadline);

    progress(
      `pipeline: creating ${all.length} play workflows in ${namespace} and waiting until each is suspended`,
    );
    const byName = new Map(all.map((play) => [play.name, play.task]));
    await createSuspendedWorkflows({
      kubeConfig,
      watch: watches.workflows,
      namespace,
      names: all.map((play) => play.name),
      build: (name) => {
        const workflow = playWorkflow(name, byName.get(name)!);
        workflow.metadata.labels = {
          ...workflow.metadata.labels,
          repository: REPOSITORY_LABEL,
          [RUN_LABEL]: run,
        };
        return workflow;
      },
      deadline,
      concurrency: FILL_CREATES_IN_FLIGHT,
    });

    const send = (play: { name: string; task: string }, times: ArrivalTimes) =>
      sendDelivery({ webhook, play, times, deliveries, workflows: watches.workflows, deadline });

    if (warmUps.length > 0) {
      progress(`pipeline: warm-up, ${warmUps.length} deliveries, 4 at a time`);
      await runPool(warmUps, 4, async (play) => {
        const times: ArrivalTimes = {};
        const { call, resumed } = send(play, times);
        await call;
        if ((await resumed) === undefined)
          throw new Error(`the EventSource did not accept the warm-up delivery for ${play.name}`);
      });
    }
    await deadline.sleep('the operator and the pipeline to settle after the warm-up', SETTLE_MS);
    const pids = PIPELINE_PROCESSES.map((name) => pidOf(plane, name));
    // Idle use, measured over one window for the operator and every process of the pipeline.
    const [idlePerMs, ...pipelineIdlePerMs] = await Promise.all(
      [operator.pid, ...pids].map((pid) => idleCpuPerMs(pid, deadline)),
    );

    const runs: PipelineRun[] = [];
    for (const schedule of planned) {
      const label = `pipeline ${schedule.perSecond}/s`;
      progress(`${label}: ${schedule.offsetsMs.length} deliveries over ${rate.seconds} s`);
      const arrivals = schedule.plays.map((): ArrivalTimes => ({}));
      const meter = startCpuMeter(operator.pid);
      const pipelineBefore = pids.map(cpuMs);
      const loop = await runOpenLoop({
        description: label,
        offsetsMs: schedule.offsetsMs,
        inFlight: DELIVERIES_IN_FLIGHT,
        issueForMs,
        start: (index) => send(schedule.plays[index]!, arrivals[index]!),
        deadline,
      });
      const used = await meter.stop(deadline);
      const resumed = loop.resumed;
      const pipelineCpu = PIPELINE_PROCESSES.map((name, i) => [
        name,
        cpuPerResume(
          { cpuMs: cpuMs(pids[i]!) - pipelineBefore[i]!, windowMs: used.windowMs },
          pipelineIdlePerMs[i]!,
          resumed,
        ),
      ]);
      runs.push({
        offeredPerSecond: schedule.perSecond,
        loop,
        arrivals,
        ...(resumed > 0 ? { cpuMsPerResume: cpuPerResume(used, idlePerMs!, resumed) } : {}),
        pipelineCpuMsPerResume: resumed > 0 ? Object.fromEntries(pipelineCpu) : {},
      });
      progress(
        `${label}: ${resumed} of ${loop.arrivals} resumed` +
          `${loop.failed > 0 ? `, ${loop.failed} deliveries failed` : ''}` +
          `${loop.abandoned > 0 ? `, ${loop.abandoned} abandoned` : ''}`,
      );
    }
    const peak = peakRssMiB(operator.pid);
    await operator.stop();

    const requests = await countOursRequests({ plane, n, concurrency: 1, deadline });
    return { settings: rate, runs, peakRssMiB: peak, requests };
  } finally {
    await cleanUp(release, 'pipeline');
    await Promise.allSettled([
      api.deleteCollectionNamespacedCustomObject({
        ...workflowCollection(namespace),
        labelSelector: `${RUN_LABEL}=${run}`,
      }),
      runPool([...requestNames], 8, async (name) => {
        await api.deleteNamespacedCustomObject({ ...requestCollection(namespace), name });
      }),
    ]);
  }
}

/**
 * The ResumeRequests the Sensor creates, found by the delivery id they carry (their names are
 * completed by the API server): when each first appeared, and whether one settled in a way that
 * will never resume its workflow.
 */
class DeliveryLedger {
  private readonly waiting = new Map<string, { times: ArrivalTimes; refuse: (error: Error) => void }>();

  constructor(requests: ObjectWatch<ResumeRequest>, names: Set<string>) {
    requests.observe((request, atMs) => {
      const entry = this.waiting.get(request.spec.github?.deliveryId ?? '');
      if (!entry) return;
      names.add(request.metadata.name!);
      entry.times.createdAtMs ??= atMs;
      const refusal = settledOtherwise(request);
      if (refusal) entry.refuse(new Error(`ResumeRequest ${request.metadata.name}: ${refusal}`));
    });
  }

  /**
   * Notes when the arrival's request appears (its watch and the workflows' are apart, so that may
   * be seen after the resume); the promise rejects if the request is refused.
   */
  expect(deliveryId: string, times: ArrivalTimes): Promise<never> {
    return new Promise<never>((_, refuse) => this.waiting.set(deliveryId, { times, refuse }));
  }
}

/**
 * One delivery of a play's `opened` event, sent now. `call` settles with the answer; `resumed`
 * with the time the workflow was seen resumed, or `undefined` when the EventSource did not answer
 * with a 2xx (GitHub records a failed delivery and sends it no more).
 */
function sendDelivery(options: {
  webhook: WebhookTarget;
  play: { name: string; task: string };
  times: ArrivalTimes;
  deliveries: DeliveryLedger;
  workflows: ObjectWatch<Workflow>;
  deadline: Deadline;
}): { call: Promise<void>; resumed: Promise<number | undefined> } {
  const { webhook, play, times, deliveries, workflows } = options;
  const deliveryId = randomUUID();
  // Registered before sending: the workflow may be resumed before the answer arrives.
  const resumedAt = workflows.until(play.name, isResumedAt(SUSPEND_NODE), hasEnded).then(({ atMs }) => atMs);
  const refused = deliveries.expect(deliveryId, times);
  refused.catch(() => undefined);
  const { event, payload } = webhookFor(
    { atMs: 0, task: play.task, run: play.name, stage: 0, kind: 'valid', deliveryId },
    new Date(),
  );
  const sentAtMs = performance.now();
  const answered = deliver(webhook, event, payload, { deliveryId, timeoutMs: DELIVERY_TIMEOUT_MS }).then(
    (answer) => {
      times.answeredAtMs = performance.now();
      times.answerMs = times.answeredAtMs - sentAtMs;
      times.ok = answer.ok;
      return answer.ok;
    },
  );
  const resumed = answered.then(async (ok) => {
    if (!ok) return undefined;
    times.resumedAtMs = await Promise.race([resumedAt, refused]);
    return times.resumedAtMs;
  });
  return { call: answered.then(() => undefined), resumed };
}
