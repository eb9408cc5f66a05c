// The benchmark's result: the JSON object of docs/interfaces.md ("Benchmark output") and a table of
// the same figures, with the sequential baseline, for people.
import type { BatchResult } from './batch.js';
import type { RequestCount } from './count-ours-requests.js';
import type { ArgoCliResult } from './measure-argo-cli.js';
import type { OursResult } from './measure-ours.js';
import { ratio, round, summarizeLatencies, throughputPerSecond, type LatencySummary } from './stats.js';

export interface BenchReport {
  n: number;
  ours: {
    latency_ms: LatencySummary;
    throughput_per_s: number;
    rss_mb: number;
    api_requests_per_resume: number;
  };
  argo_cli: { latency_ms: LatencySummary; throughput_per_s: number };
  ratios: { latency_p50: number | null; throughput: number | null };
}

const summarize = (batch: BatchResult) => ({
  latency_ms: summarizeLatencies(batch.latenciesMs),
  throughput_per_s: throughputPerSecond(batch.latenciesMs.length, batch.wallMs),
});

/** ARGO_CLI in the JSON is the run with the same client concurrency as OURS. */
export function buildReport(
  n: number,
  ours: OursResult,
  requests: RequestCount,
  argoCli: ArgoCliResult,
): BenchReport {
  const oursSummary = summarize(ours.batch);
  const argoSummary = summarize(argoCli.concurrent);
  return {
    n,
    ours: {
      ...oursSummary,
      rss_mb: round(ours.peakRssMiB, 1),
      api_requests_per_resume: round(requests.perResume, 2),
    },
    argo_cli: argoSummary,
    ratios: {
      latency_p50: ratio(oursSummary.latency_ms.p50, argoSummary.latency_ms.p50),
      throughput: ratio(oursSummary.throughput_per_s, argoSummary.throughput_per_s),
    },
  };
}

export function summaryTable(
  report: BenchReport,
  ours: OursResult,
  requests: RequestCount,
  argoCli: ArgoCliResult,
  concurrency: number,
): string[] {
  const row = (label: string, batch: BatchResult) => {
    const { latency_ms: l, throughput_per_s: t } = summarize(batch);
    const cells = [l.p50, l.p95, l.p99].map((value) => value.toFixed(1).padStart(9));
    return `${label.padEnd(26)}${cells.join('')}${t.toFixed(2).padStart(14)}`;
  };
  return [
    `n=${report.n} resumes per row; latency from the client's call to the node Succeeded, in ms`,
    `${''.padEnd(26)}${['p50', 'p95', 'p99'].map((h) => h.padStart(9)).join('')}${'resumes/s'.padStart(14)}`,
    row(`ours (${concurrency} creates in flight)`, ours.batch),
    row(`argo cli (${concurrency} in flight)`, argoCli.concurrent),
    row('argo cli (sequential)', argoCli.sequential),
    `ours: operator peak RSS ${report.ours.rss_mb} MiB; ` +
      `${report.ours.api_requests_per_resume} API requests per resume ` +
      `(run ${(requests.run.ms / 1000).toFixed(1)} s, idle baseline ${(requests.idle.ms / 1000).toFixed(1)} s)`,
    `ratios ours/argo cli: latency p50 ${report.ratios.latency_p50}, throughput ${report.ratios.throughput}`,
  ];
}
