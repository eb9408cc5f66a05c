// The benchmark's result: the JSON object of the project's contract (docs/interfaces.md,
// "Benchmark output") and a table of the same figures, for people. The contract's `ours`,
// `argo_cli` and `ratios` describe the headline level of calls in flight; `by_concurrency`
// repeats the comparison at every level timed.
import type { PerResume } from './api-requests.js';
import type { BatchResult } from './batch.js';
import type { RequestCount } from './count-ours-requests.js';
import { atMost, cpuGoal, PEAK_RSS_MIB_GOAL, READY_MS_GOAL, type Goal } from './goals.js';
import type { ArgoCliResult } from './measure-argo-cli.js';
import type { OursResult } from './measure-ours.js';
import type { ScaleResult } from './scale.js';
import { ratio, round, summarizeLatencies, throughputPerSecond, type LatencySummary } from './stats.js';

interface PathSummary {
  latency_ms: LatencySummary;
  throughput_per_s: number;
}

interface Ratios {
  latency_p50: number | null;
  latency_p99: number | null;
  throughput: number | null;
}

export interface LevelReport {
  concurrency: number;
  ours: PathSummary & { cpu_ms_per_resume: number };
  argo_cli: PathSummary;
  ratios: Ratios;
}

export interface BenchReport {
  n: number;
  concurrency: number;
  ours: PathSummary & {
    rss_mb: number;
    cpu_ms_per_resume: number;
    api_requests_per_resume: number;
    writes_per_resume: number;
    reads_per_resume: number;
    requests_per_resume_by_kind: Record<string, number>;
  };
  argo_cli: PathSummary;
  ratios: Ratios;
  by_concurrency: LevelReport[];
  goals: { cpu_ms_per_resume: Goal };
}

export const summarize = (batch: BatchResult): PathSummary => ({
  latency_ms: summarizeLatencies(batch.latenciesMs),
  throughput_per_s: throughputPerSecond(batch.latenciesMs.length, batch.wallMs),
});

export function compare(ours: PathSummary, argo: PathSummary): Ratios {
  return {
    latency_p50: ratio(ours.latency_ms.p50, argo.latency_ms.p50),
    latency_p99: ratio(ours.latency_ms.p99, argo.latency_ms.p99),
    throughput: ratio(ours.throughput_per_s, argo.throughput_per_s),
  };
}

/** The API-request figures of `ours`, rounded for the report. */
export function requestFigures(count: PerResume) {
  return {
    api_requests_per_resume: round(count.total, 2),
    writes_per_resume: round(count.writes, 2),
    reads_per_resume: round(count.reads, 2),
    requests_per_resume_by_kind: Object.fromEntries(
      [...count.byKind].filter(([, value]) => value >= 0.005).map(([kind, value]) => [kind, round(value, 2)]),
    ),
  };
}

function levelReports(ours: Map<number, OursResult>, argoCli: ArgoCliResult): LevelReport[] {
  return [...ours].map(([concurrency, result]) => {
    const argo = argoCli.get(concurrency);
    if (!argo) throw new Error(`argo cli was not timed at ${concurrency} calls in flight`);
    const oursSummary = { ...summarize(result.batch), cpu_ms_per_resume: round(result.cpuMsPerResume, 2) };
    const argoSummary = summarize(argo);
    return {
      concurrency,
      ours: oursSummary,
      argo_cli: argoSummary,
      ratios: compare(oursSummary, argoSummary),
    };
  });
}

/** `ours`, `argo_cli` and `ratios` at `concurrency`, and every level in `by_concurrency`. */
export function buildReport(
  n: number,
  concurrency: number,
  ours: Map<number, OursResult>,
  requests: RequestCount,
  argoCli: ArgoCliResult,
): BenchReport {
  const levels = levelReports(ours, argoCli);
  const headline = levels.find((level) => level.concurrency === concurrency);
  if (!headline) throw new Error(`nothing was timed at ${concurrency} calls in flight`);
  const peakRss = Math.max(...[...ours.values()].map((result) => result.peakRssMiB));
  return {
    n,
    concurrency,
    ours: { ...headline.ours, rss_mb: round(peakRss, 1), ...requestFigures(requests.perResume) },
    argo_cli: headline.argo_cli,
    ratios: headline.ratios,
    by_concurrency: levels,
    goals: { cpu_ms_per_resume: cpuGoal(headline.ours.cpu_ms_per_resume) },
  };
}

export function summaryTable(report: BenchReport, requests: RequestCount): string[] {
  const row = (label: string, { latency_ms: l, throughput_per_s: t }: PathSummary) => {
    const cells = [l.p50, l.p95, l.p99].map((value) => value.toFixed(1).padStart(9));
    return `${label.padEnd(26)}${cells.join('')}${t.toFixed(2).padStart(14)}`;
  };
  return [
    `n=${report.n} resumes per row; latency from the client's call to the node Succeeded, in ms`,
    `${''.padEnd(26)}${['p50', 'p95', 'p99'].map((h) => h.padStart(9)).join('')}${'resumes/s'.padStart(14)}`,
    ...report.by_concurrency.flatMap((level) => [
      row(`ours (${level.concurrency} in flight)`, level.ours),
      row(`argo cli (${level.concurrency} in flight)`, level.argo_cli),
      `${''.padEnd(4)}ratios ours/argo cli: latency p50 ${level.ratios.latency_p50}, ` +
        `p99 ${level.ratios.latency_p99}, throughput ${level.ratios.throughput}`,
    ]),
    `ours: operator peak RSS ${report.ours.rss_mb} MiB; per resume ` +
      `${report.ours.api_requests_per_resume} API requests (${report.ours.writes_per_resume} writes, ` +
      `${report.ours.reads_per_resume} reads), counted at ${report.concurrency} in flight ` +
      `(run ${(requests.run.ms / 1000).toFixed(1)} s, idle baseline ${(requests.idle.ms / 1000).toFixed(1)} s)`,
    `ours: per resume by kind: ${Object.entries(report.ours.requests_per_resume_by_kind)
      .map(([kind, value]) => `${value} ${kind}`)
      .join(', ')}`,
    `ours: operator CPU time per resume: ${report.by_concurrency
      .map((level) => `${level.ours.cpu_ms_per_resume} ms at ${level.concurrency} in flight`)
      .join(', ')}`,
    ...goalLines(report.goals),
  ];
}

export const goalLines = (goals: Record<string, Goal>): string[] =>
  Object.entries(goals).map(
    ([name, goal]) =>
      `goal ${name}: ${goal.met ? 'met' : 'NOT met'} (${goal.target}; ${goal.value ?? 'n/a'})`,
  );

export interface ScaleReport {
  profile: 'scale';
  n: number;
  workflows: number;
  finished_requests: number;
  concurrency: number;
  ours: PathSummary &
    ReturnType<typeof requestFigures> & {
      rss_mb: number;
      ready_ms: number;
      ready_cpu_ms: number;
      rss_ready_mb: number;
      rss_peak_at_ready_mb: number;
      rss_empty_mb: number;
      rss_after_burst_mb: number;
      rss_after_relist_mb: number;
      rss_kib_per_workflow: number | null;
      rss_kib_per_finished_request: number | null;
      cpu_ms_per_resume: number;
    };
  argo_cli: PathSummary & { n: number };
  ratios: Ratios;
  goals: { peak_rss_mb: Goal; ready_ms: Goal; cpu_ms_per_resume: Goal };
}

/** RSS growth per cached object in KiB, or null when nothing of the kind was cached. */
const kibPer = (growthMiB: number, count: number) =>
  count === 0 ? null : round((growthMiB * 1024) / count, 2);

export function buildScaleReport(result: ScaleResult): ScaleReport {
  const ours = summarize(result.burst);
  const argo = summarize(result.argoSample);
  const { rss } = result;
  return {
    profile: 'scale',
    n: result.burst.latenciesMs.length,
    workflows: result.workflows,
    finished_requests: result.finishedRequests,
    concurrency: result.concurrency,
    ours: {
      ...ours,
      rss_mb: round(rss.peakMiB, 1),
      ...requestFigures(result.requests),
      ready_ms: Math.round(result.readyMs),
      ready_cpu_ms: Math.round(result.readyCpuMs),
      rss_ready_mb: round(rss.readyMiB, 1),
      rss_peak_at_ready_mb: round(rss.peakAtReadyMiB, 1),
      rss_empty_mb: round(rss.emptyMiB, 1),
      rss_after_burst_mb: round(rss.afterBurstMiB, 1),
      rss_after_relist_mb: round(rss.afterRelistMiB, 1),
      rss_kib_per_workflow: kibPer(rss.readyMiB - rss.requestsOnlyMiB, result.workflows),
      rss_kib_per_finished_request: kibPer(rss.requestsOnlyMiB - rss.emptyMiB, result.finishedRequests),
      cpu_ms_per_resume: round(result.cpuMsPerResume, 2),
    },
    argo_cli: { ...argo, n: result.argoSample.latenciesMs.length },
    ratios: compare(ours, argo),
    goals: {
      peak_rss_mb: atMost(
        `operator peak RSS during the burst <= ${PEAK_RSS_MIB_GOAL} MiB`,
        round(rss.peakMiB, 1),
        PEAK_RSS_MIB_GOAL,
      ),
      ready_ms: atMost(
        `operator start to ready, caches full, <= ${READY_MS_GOAL} ms`,
        Math.round(result.readyMs),
        READY_MS_GOAL,
      ),
      cpu_ms_per_resume: cpuGoal(round(result.cpuMsPerResume, 2)),
    },
  };
}

export function scaleSummary(report: ScaleReport): string[] {
  const { ours, argo_cli: argo } = report;
  return [
    `scale: ${report.workflows} workflows and ${report.finished_requests} finished requests cached`,
    `ours: ready in ${ours.ready_ms} ms (${ours.ready_cpu_ms} ms of CPU); RSS empty ${ours.rss_empty_mb} MiB, ` +
      `ready ${ours.rss_ready_mb} MiB, peak ${ours.rss_peak_at_ready_mb} MiB by ready and ${ours.rss_mb} MiB in all, after the burst ${ours.rss_after_burst_mb} MiB, after a relist ` +
      `${ours.rss_after_relist_mb} MiB; ${ours.rss_kib_per_workflow} KiB per workflow, ` +
      `${ours.rss_kib_per_finished_request} KiB per finished request`,
    `ours: burst of ${report.n} at ${report.concurrency} in flight: p50 ${ours.latency_ms.p50} ms, ` +
      `p99 ${ours.latency_ms.p99} ms, ${ours.throughput_per_s} resumes/s; ${ours.api_requests_per_resume} ` +
      `API requests per resume (${ours.writes_per_resume} writes, ${ours.reads_per_resume} reads)`,
    `argo cli: sample of ${argo.n}: p50 ${argo.latency_ms.p50} ms, p99 ${argo.latency_ms.p99} ms, ` +
      `${argo.throughput_per_s} resumes/s`,
    `ratios ours/argo cli: latency p50 ${report.ratios.latency_p50}, p99 ${report.ratios.latency_p99}, ` +
      `throughput ${report.ratios.throughput}`,
    `ours: operator CPU time per resume during the burst ${ours.cpu_ms_per_resume} ms`,
    ...goalLines(report.goals),
  ];
}
