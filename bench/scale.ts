// `BENCH_PROFILE=scale make bench`: the operator with full caches. One namespace holds the cached
// play workflows (suspended by the real Argo controller; some wide, some compressed), another the
// finished ResumeRequests. The operator is started three times: on an empty namespace, on the
// finished requests alone and on both, each time until it leads with synced caches, so the RSS
// of each start gives the growth per cached request and per cached workflow. The last start,
// through the counting proxy, is timed from spawn to ready and then takes a burst of new
// ResumeRequests for cached workflows; the proxy then ends its watches with 410 Gone, so its RSS
// after a relist is read too. `argo resume` then resumes a sample of the others at the same
// concurrency.
import { performance } from 'node:perf_hooks';
import * as k8s from '@kubernetes/client-node';
import { perResume, formatTally, tallySince, type PerResume } from './api-requests.js';
import { argoResume } from './argo-cli.js';
import { measureBatch, type BatchResult } from './batch.js';
import { cleanUp, type CleanUpStep } from './clean-up.js';
import { startCountingProxy } from './counting-proxy.js';
import type { Deadline } from './deadline.js';
import { createFinishedRequests } from './finished-requests.js';
import { createNamespace } from './namespaces.js';
import { startOperatorProcess, type OperatorProcess } from './operator-process.js';
import { cpuPerResume, idleCpuPerMs, startCpuMeter } from './operator-cpu.js';
import { peakRssMiB, rssMiB } from './peak-rss.js';
import { cpuMs } from './process-cpu.js';
import type { BenchPlane } from './plane.js';
import { progress } from './progress.js';
import { resumeByRequests } from './request-batch.js';
import { requestCollection } from './resume-requests.js';
import { scaleWorkflow, shapeOf } from './scale-workflows.js';
import type { ScaleSettings } from './settings.js';
import { deleteWorkflows, createSuspendedWorkflows } from './workflows.js';
import { watchPlays } from './play-watches.js';

/** Creates in flight while filling the caches: the Argo controller is what limits the pace. */
const FILL_CREATES_IN_FLIGHT = 16;
/** Settling time after ready before RSS is read, so start-up garbage is not counted as cache. */
const SETTLE_MS = 3000;
/** No request for this long after the burst means the operator has finished its work. */
const QUIET_MS = 1000;
/** After a relist: the operator's compaction delay (2 s, controller/manager.ts) and SETTLE_MS. */
const RELIST_SETTLE_MS = 2000 + SETTLE_MS;
/** The idle window for the request count's baseline, at most. */
const MAX_IDLE_WINDOW_MS = 30_000;

export interface ScaleResult {
  workflows: number;
  finishedRequests: number;
  concurrency: number;
  burst: BatchResult;
  argoSample: BatchResult;
  readyMs: number;
  readyCpuMs: number;
  rss: {
    emptyMiB: number;
    requestsOnlyMiB: number;
    readyMiB: number;
    /** VmHWM at ready: the start-up's peak. */
    peakAtReadyMiB: number;
    /** VmHWM after the burst: the whole run's peak. */
    peakMiB: number;
    afterBurstMiB: number;
    afterRelistMiB: number;
  };
  requests: PerResume;
  /** The operator's CPU time per resume during the burst, its idle use taken out. */
  cpuMsPerResume: number;
}

interface StartedOperator {
  operator: OperatorProcess;
  /** Spawn to leading with synced caches. */
  readyMs: number;
  /** Its CPU time from spawn to ready: what start-up costs, whatever else the machine runs. */
  readyCpuMs: number;
  /** VmHWM at ready: the start-up lists' peak, apart from what follows. */
  peakAtReadyMiB: number;
  /** VmRSS once settled after ready. */
  rssMiB: number;
}

/** Starts the operator on `namespaces`, waits until it leads, lets it settle; RSS and time to ready. */
async function startAndSettle(
  plane: BenchPlane,
  namespaces: string[],
  deadline: Deadline,
  apiPort?: number,
): Promise<StartedOperator> {
  const operator = await startOperatorProcess({ plane, namespaces, apiPort, deadline });
  try {
    await operator.waitUntilLeading(deadline);
    const readyMs = performance.now() - operator.startedAtMs;
    const readyCpuMs = cpuMs(operator.pid);
    const peakAtReadyMiB = peakRssMiB(operator.pid);
    await deadline.sleep('the operator to settle after start-up', SETTLE_MS);
    return { operator, readyMs, readyCpuMs, peakAtReadyMiB, rssMiB: rssMiB(operator.pid) };
  } catch (error) {
    await operator.stop();
    throw error;
  }
}

async function rssOfIdleOperator(
  plane: BenchPlane,
  namespaces: string[],
  deadline: Deadline,
): Promise<number> {
  const { operator, rssMiB: rss } = await startAndSettle(plane, namespaces, deadline);
  await operator.stop();
  return rss;
}

export async function runScale(options: {
  plane: BenchPlane;
  scale: ScaleSettings;
  concurrency: number;
  deadline: Deadline;
}): Promise<ScaleResult> {
  const { plane, scale, concurrency, deadline } = options;
  const kubeConfig = plane.kubeConfig;
  const api = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const namespace = await createNamespace(kubeConfig, 'bench-scale', deadline);
  const finishedNamespace = await createNamespace(kubeConfig, 'bench-finished', deadline);
  const emptyNamespace = await createNamespace(kubeConfig, 'bench-empty', deadline);
  const names = Array.from({ length: scale.workflows }, (_, i) => `play-${i + 1}`);
  const burstNames = names.slice(0, scale.burst);
  const sampleNames = names.slice(scale.burst, scale.burst + scale.argoSample);
  const release: CleanUpStep[] = [];
  try {
    const { workflows, requests, close } = await watchPlays(kubeConfig, namespace, deadline);
    release.push(close);

    const fillStarted = performance.now();
    progress(
      `scale: creating ${scale.workflows} play workflows in ${namespace} and waiting until each is suspended`,
    );
    await createSuspendedWorkflows({
      kubeConfig,
      watch: workflows,
      namespace,
      names,
      deadline,
      build: (name, index) => scaleWorkflow(name, shapeOf(index)),
      concurrency: FILL_CREATES_IN_FLIGHT,
    });
    progress(
      `scale: ${scale.workflows} workflows suspended in ${((performance.now() - fillStarted) / 1000).toFixed(0)} s`,
    );
    progress(`scale: writing ${scale.finished} finished ResumeRequests in ${finishedNamespace}`);
    await createFinishedRequests({
      kubeConfig,
      namespace: finishedNamespace,
      count: scale.finished,
      deadline,
    });

    progress('scale: RSS of the operator on an empty namespace');
    const emptyMiB = await rssOfIdleOperator(plane, [emptyNamespace], deadline);
    progress(`scale: RSS of the operator with ${scale.finished} finished requests cached`);
    const requestsOnlyMiB = await rssOfIdleOperator(plane, [finishedNamespace], deadline);

    const proxy = await startCountingProxy(plane.dir, plane.apiserverPort);
    release.push(() => proxy.close());
    progress(`scale: starting the operator with every cache full (through the counting proxy)`);
    const full = await startAndSettle(plane, [namespace, finishedNamespace], deadline, proxy.port);
    release.push(() => full.operator.stop());
    progress(
      `scale: ready in ${full.readyMs.toFixed(0)} ms (${full.readyCpuMs.toFixed(0)} ms of CPU), ` +
        `RSS ${full.rssMiB.toFixed(1)} MiB, peak so far ${full.peakAtReadyMiB.toFixed(1)} MiB`,
    );

    progress(`scale: a burst of ${scale.burst} ResumeRequests, ${concurrency} creates in flight at most`);
    const before = proxy.snapshot();
    const meter = startCpuMeter(full.operator.pid);
    const burst = await resumeByRequests({
      label: 'scale burst',
      api,
      namespace,
      names: burstNames,
      concurrency,
      workflows,
      requests,
      deadline,
    });
    await proxy.quiet(QUIET_MS, deadline);
    const cpu = await meter.stop(deadline);
    const runMs = performance.now() - burst.startedAtMs;
    const run = tallySince(proxy.snapshot(), before);
    const idleMs = Math.min(runMs, MAX_IDLE_WINDOW_MS);
    progress(`scale: counting the idle operator's requests for ${(idleMs / 1000).toFixed(1)} s`);
    const idleBefore = proxy.snapshot();
    const idlePerMs = await idleCpuPerMs(full.operator.pid, deadline, idleMs);
    const idle = tallySince(proxy.snapshot(), idleBefore);
    progress(`scale: during the burst: ${formatTally(run)}`);
    progress(`scale: while idle: ${formatTally(idle)}`);
    const peakMiB = peakRssMiB(full.operator.pid);
    const afterBurstMiB = rssMiB(full.operator.pid);

    const expired = proxy.expireWatches();
    progress(`scale: expired ${expired} watches with 410 Gone; waiting for the operator to relist`);
    await proxy.quiet(QUIET_MS, deadline);
    await deadline.sleep('the compaction after the relist, and settling', RELIST_SETTLE_MS);
    const afterRelistMiB = rssMiB(full.operator.pid);
    progress(
      `scale: RSS ${afterBurstMiB.toFixed(1)} MiB after the burst, ${afterRelistMiB.toFixed(1)} MiB after the relist`,
    );
    await full.operator.stop();

    progress(
      `scale: argo resume on a sample of ${sampleNames.length} cached workflows, ${concurrency} at a time`,
    );
    const argoSample = await measureBatch({
      description: 'scale, argo cli sample',
      names: sampleNames,
      concurrency,
      workflows,
      resume: (name) => argoResume(plane, namespace, name),
      deadline,
    });
    return {
      workflows: scale.workflows,
      finishedRequests: scale.finished,
      concurrency,
      burst,
      argoSample,
      readyMs: full.readyMs,
      readyCpuMs: full.readyCpuMs,
      rss: {
        emptyMiB,
        requestsOnlyMiB,
        readyMiB: full.rssMiB,
        peakAtReadyMiB: full.peakAtReadyMiB,
        peakMiB,
        afterBurstMiB,
        afterRelistMiB,
      },
      requests: perResume(run, idle, runMs / idleMs, scale.burst),
      cpuMsPerResume: cpuPerResume(cpu, idlePerMs, scale.burst),
    };
  } finally {
    await cleanUp(release, 'scale');
    await Promise.allSettled([
      deleteWorkflows(kubeConfig, namespace),
      api.deleteCollectionNamespacedCustomObject(requestCollection(namespace)),
      api.deleteCollectionNamespacedCustomObject(requestCollection(finishedNamespace)),
    ]);
  }
}
