// The rate profile's result: the contract's fields (docs/interfaces.md, "Benchmark output") for
// a headline rate, every rate in `rates`, the highest rate each path sustains, and the goals,
// with a table of the same figures for people. Pure, so the rules (what "sustained" means, which
// rate is the headline) are tested without a plane.
import { cpuGoal, type Goal } from './goals.js';
import type { RateResult, PathRun } from './rate.js';
import { goalLines, requestFigures } from './report.js';
import { ratio, round, summarizeLatencies, type LatencySummary } from './stats.js';

/** A rate is sustained when its p99 stays within this and every arrival was sent. */
export const SUSTAINED_P99_MS = 1000;
/** Goals: ours sustains at least this many times argo's rate… */
export const SUSTAINED_RATIO_GOAL = 5;
/** …and, at every rate argo sustains, ours' p99 is at most this fraction of argo's. */
export const P99_RATIO_GOAL = 0.5;

export interface PathAtRate {
  achieved_per_s: number;
  latency_ms: LatencySummary;
  arrivals: number;
  resumed: number;
  /** Arrivals never sent because no client slot freed up in time (their latency counted as a lower bound). */
  abandoned: number;
  /** Scheduled time to the start of the client's call: the wait for a free slot. */
  start_lag_ms: { p50: number; p99: number };
  sustained: boolean;
  cpu_ms_per_resume?: number;
}

export interface RateEntry {
  offered_per_s: number;
  ours: PathAtRate;
  argo_cli: PathAtRate;
  ratios: { latency_p50: number | null; latency_p99: number | null };
}

export interface RateReport {
  profile: 'rate';
  /** Arrivals at the headline rate. */
  n: number;
  /** The rate `ours`, `argo_cli` and `ratios` describe: the highest argo sustains, else the lowest. */
  headline_per_s: number;
  in_flight: number;
  seconds_per_rate: number;
  ours: {
    latency_ms: LatencySummary;
    throughput_per_s: number;
    max_sustained_per_s: number | null;
    rss_mb: number;
    cpu_ms_per_resume: number | null;
  } & ReturnType<typeof requestFigures>;
  argo_cli: { latency_ms: LatencySummary; throughput_per_s: number; max_sustained_per_s: number | null };
  ratios: { latency_p50: number | null; latency_p99: number | null; throughput: number | null };
  rates: RateEntry[];
  goals: Record<'sustained_rate_ratio' | 'p99_ratio_where_argo_sustains' | 'cpu_ms_per_resume', Goal>;
}

export function pathAtRate(run: PathRun, seconds: number): PathAtRate {
  const latency = summarizeLatencies(run.latenciesMs);
  const lags = run.startLagsMs.length > 0 ? summarizeLatencies(run.startLagsMs) : { p50: 0, p99: 0 };
  // Over the schedule's length at least: a path that keeps up resumes at the offered rate.
  const spanMs = Math.max(seconds * 1000, run.elapsedMs);
  return {
    achieved_per_s: round((run.resumed * 1000) / spanMs, 2),
    latency_ms: latency,
    arrivals: run.arrivals,
    resumed: run.resumed,
    abandoned: run.abandoned,
    start_lag_ms: { p50: lags.p50, p99: lags.p99 },
    sustained: run.abandoned === 0 && run.failed === 0 && latency.p99 <= SUSTAINED_P99_MS,
    ...(run.cpuMsPerResume === undefined ? {} : { cpu_ms_per_resume: round(run.cpuMsPerResume, 2) }),
  };
}

/** The highest offered rate the path sustained, or null when it sustained none. */
export function maxSustained(entries: readonly RateEntry[], path: 'ours' | 'argo_cli'): number | null {
  const held = entries.filter((entry) => entry[path].sustained).map((entry) => entry.offered_per_s);
  return held.length === 0 ? null : Math.max(...held);
}

/** CPU time per resume over every run of the operator, weighted by the resumes of each. */
function pooledCpu(result: RateResult): number | null {
  let cpu = 0;
  let resumes = 0;
  for (const { ours } of result.runs) {
    if (ours.cpuMsPerResume === undefined) continue;
    cpu += ours.cpuMsPerResume * ours.resumed;
    resumes += ours.resumed;
  }
  return resumes === 0 ? null : round(cpu / resumes, 2);
}

function goals(
  entries: readonly RateEntry[],
  oursMax: number | null,
  argoMax: number | null,
  cpu: number | null,
): RateReport['goals'] {
  const sustainedRatio = oursMax === null || argoMax === null ? null : round(oursMax / argoMax, 2);
  const argoHeld = entries.filter((entry) => entry.argo_cli.sustained);
  const p99Ratios = argoHeld.map((entry) => entry.ratios.latency_p99 ?? Infinity);
  const worstP99 = p99Ratios.length === 0 ? null : Math.max(...p99Ratios);
  return {
    sustained_rate_ratio: {
      target: `ours' highest sustained rate >= ${SUSTAINED_RATIO_GOAL} x argo's`,
      value: sustainedRatio,
      // A path that sustains nothing is beaten by one that sustains anything.
      met: oursMax !== null && (argoMax === null || oursMax >= SUSTAINED_RATIO_GOAL * argoMax),
    },
    p99_ratio_where_argo_sustains: {
      target: `ours' p99 <= ${P99_RATIO_GOAL} x argo's at every rate argo sustains`,
      value: worstP99 === null || !Number.isFinite(worstP99) ? null : worstP99,
      met: argoHeld.every(
        (entry) => entry.ours.sustained && (entry.ratios.latency_p99 ?? Infinity) <= P99_RATIO_GOAL,
      ),
    },
    cpu_ms_per_resume: cpuGoal(cpu),
  };
}

export function buildRateReport(result: RateResult): RateReport {
  const { settings } = result;
  const entries: RateEntry[] = result.runs.map((run) => {
    const ours = pathAtRate(run.ours, settings.seconds);
    const argo = pathAtRate(run.argoCli, settings.seconds);
    return {
      offered_per_s: run.offeredPerSecond,
      ours,
      argo_cli: argo,
      ratios: {
        latency_p50: ratio(ours.latency_ms.p50, argo.latency_ms.p50),
        latency_p99: ratio(ours.latency_ms.p99, argo.latency_ms.p99),
      },
    };
  });
  if (entries.length === 0) throw new Error('the rate profile timed no rate');
  const oursMax = maxSustained(entries, 'ours');
  const argoMax = maxSustained(entries, 'argo_cli');
  const headline = entries.find((entry) => entry.offered_per_s === argoMax) ?? entries[0]!;
  const cpu = pooledCpu(result);
  return {
    profile: 'rate',
    n: headline.ours.arrivals,
    headline_per_s: headline.offered_per_s,
    in_flight: settings.inFlight,
    seconds_per_rate: settings.seconds,
    ours: {
      latency_ms: headline.ours.latency_ms,
      throughput_per_s: headline.ours.achieved_per_s,
      max_sustained_per_s: oursMax,
      rss_mb: round(result.peakRssMiB, 1),
      cpu_ms_per_resume: cpu,
      ...requestFigures(result.requests.perResume),
    },
    argo_cli: {
      latency_ms: headline.argo_cli.latency_ms,
      throughput_per_s: headline.argo_cli.achieved_per_s,
      max_sustained_per_s: argoMax,
    },
    ratios: {
      ...headline.ratios,
      throughput: ratio(headline.ours.achieved_per_s, headline.argo_cli.achieved_per_s),
    },
    rates: entries,
    goals: goals(entries, oursMax, argoMax, cpu),
  };
}

export function rateSummary(report: RateReport): string[] {
  const cell = (path: PathAtRate) =>
    `${path.achieved_per_s.toFixed(1).padStart(7)}/s ${[
      path.latency_ms.p50,
      path.latency_ms.p95,
      path.latency_ms.p99,
    ]
      .map((value) => value.toFixed(0).padStart(7))
      .join(
        '',
      )}${path.abandoned > 0 ? ` (${path.abandoned} abandoned)` : path.sustained ? '' : ' (not sustained)'}`;
  return [
    `open loop, ${report.seconds_per_rate} s per rate, ${report.in_flight} call(s) in flight; ` +
      "latency from each arrival's scheduled time to its workflow resumed, in ms",
    `${'offered'.padEnd(9)}${'path'.padEnd(10)}${'achieved'.padStart(9)} ${['p50', 'p95', 'p99'].map((h) => h.padStart(7)).join('')}`,
    ...report.rates.flatMap((entry) => [
      `${`${entry.offered_per_s}/s`.padEnd(9)}${'ours'.padEnd(10)}${cell(entry.ours)}`,
      `${''.padEnd(9)}${'argo cli'.padEnd(10)}${cell(entry.argo_cli)}`,
    ]),
    `highest rate sustained (p99 <= ${SUSTAINED_P99_MS} ms): ours ${report.ours.max_sustained_per_s ?? 'none'}, ` +
      `argo cli ${report.argo_cli.max_sustained_per_s ?? 'none'}`,
    `ours: operator peak RSS ${report.ours.rss_mb} MiB, CPU ${report.ours.cpu_ms_per_resume} ms per resume, ` +
      `${report.ours.api_requests_per_resume} API requests per resume (${report.ours.writes_per_resume} writes, ` +
      `${report.ours.reads_per_resume} reads)`,
    ...goalLines(report.goals),
  ];
}
