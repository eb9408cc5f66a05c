// The pipeline profile's result: per rate, the whole path (delivery answered → workflow resumed),
// the operator's own part of it (ResumeRequest created → resumed) and what the EventSource, the
// bus and the Sensor add (answered → created), on the same arrivals; the highest rate each
// sustains; and a table of the same figures for people. Pure, so the rules are tested without a
// plane.
import { cpuGoal, type Goal } from './goals.js';
import { PIPELINE_PROCESSES, type ArrivalTimes, type PipelineResult, type PipelineRun } from './pipeline.js';
import { SUSTAINED_P99_MS } from './rate-report.js';
import { goalLines, requestFigures } from './report.js';
import { round, summarizeLatencies, type LatencySummary } from './stats.js';

export interface WholePathAtRate {
  achieved_per_s: number;
  /** Delivery answered with a 2xx → workflow seen resumed. */
  latency_ms: LatencySummary | null;
  arrivals: number;
  resumed: number;
  /** Deliveries the EventSource did not answer with a 2xx (GitHub would record them as failed). */
  failed: number;
  /** Arrivals never sent because every delivery slot stayed busy (see open-loop.ts). */
  abandoned: number;
  /** Delivery sent → answered: the EventSource's answer, once the bus has stored the event. */
  answer_ms: LatencySummary | null;
  /** Scheduled time of the arrival → workflow resumed, as the rate profile times it. */
  from_scheduled_ms: LatencySummary | null;
  /** Scheduled time → delivery sent: how late the sender was (its timers, a busy machine). */
  start_lag_ms: { p50: number; p99: number } | null;
  sustained: boolean;
  cpu_ms_per_resume?: number;
}

export interface OperatorAtRate {
  /** ResumeRequest seen created → workflow seen resumed. */
  latency_ms: LatencySummary | null;
  sustained: boolean;
}

export interface PipelineEntry {
  offered_per_s: number;
  ours: WholePathAtRate;
  operator: OperatorAtRate;
  /** Per arrival, delivery answered → its ResumeRequest seen: negative when the Sensor was first. */
  pipeline_adds_ms: LatencySummary | null;
  /** CPU time per resume of the EventSource, nats-server and the Sensor, in ms. */
  pipeline_cpu_ms_per_resume: Record<string, number>;
}

export interface PipelineReport {
  profile: 'pipeline';
  n: number;
  /** The rate `ours`, `operator` and `pipeline_adds_ms` describe: the highest the whole path sustains, else the lowest. */
  headline_per_s: number;
  seconds_per_rate: number;
  deliveries_in_flight: number;
  ours: {
    latency_ms: LatencySummary | null;
    throughput_per_s: number;
    max_sustained_per_s: number | null;
    rss_mb: number;
    cpu_ms_per_resume: number | null;
  } & ReturnType<typeof requestFigures>;
  operator: { latency_ms: LatencySummary | null; max_sustained_per_s: number | null };
  pipeline_adds_ms: LatencySummary | null;
  rates: PipelineEntry[];
  goals: { cpu_ms_per_resume: Goal };
}

const summary = (values: readonly number[]) => (values.length === 0 ? null : summarizeLatencies(values));

/** Differences `to - from` over the arrivals that have both. */
function spans(
  arrivals: readonly ArrivalTimes[],
  from: keyof ArrivalTimes,
  to: keyof ArrivalTimes,
): number[] {
  return arrivals.flatMap((times) => {
    const [start, end] = [times[from], times[to]];
    return typeof start === 'number' && typeof end === 'number' ? [end - start] : [];
  });
}

const withinSecond = (latency: LatencySummary | null) => latency !== null && latency.p99 <= SUSTAINED_P99_MS;

export function pipelineEntry(run: PipelineRun, seconds: number): PipelineEntry {
  const { loop, arrivals } = run;
  const whole = summary(spans(arrivals, 'answeredAtMs', 'resumedAtMs'));
  const operator = summary(spans(arrivals, 'createdAtMs', 'resumedAtMs'));
  const spanMs = Math.max(seconds * 1000, loop.elapsedMs);
  const lags = summary(loop.startLagsMs);
  return {
    offered_per_s: run.offeredPerSecond,
    ours: {
      achieved_per_s: round((loop.resumed * 1000) / spanMs, 2),
      latency_ms: whole,
      arrivals: loop.arrivals,
      resumed: loop.resumed,
      failed: loop.failed,
      abandoned: loop.abandoned,
      answer_ms: summary(arrivals.flatMap((times) => (times.answerMs === undefined ? [] : [times.answerMs]))),
      from_scheduled_ms: summary(loop.latenciesMs),
      start_lag_ms: lags && { p50: lags.p50, p99: lags.p99 },
      sustained: loop.failed === 0 && loop.abandoned === 0 && withinSecond(whole),
      ...(run.cpuMsPerResume === undefined ? {} : { cpu_ms_per_resume: round(run.cpuMsPerResume, 2) }),
    },
    operator: { latency_ms: operator, sustained: withinSecond(operator) },
    pipeline_adds_ms: summary(spans(arrivals, 'answeredAtMs', 'createdAtMs')),
    pipeline_cpu_ms_per_resume: Object.fromEntries(
      PIPELINE_PROCESSES.flatMap((name) => {
        const value = run.pipelineCpuMsPerResume[name];
        return value === undefined ? [] : [[name, round(value, 2)]];
      }),
    ),
  };
}

const highest = (entries: readonly PipelineEntry[], held: (entry: PipelineEntry) => boolean) => {
  const rates = entries.filter(held).map((entry) => entry.offered_per_s);
  return rates.length === 0 ? null : Math.max(...rates);
};

export function buildPipelineReport(result: PipelineResult, deliveriesInFlight: number): PipelineReport {
  const { settings } = result;
  const entries = result.runs.map((run) => pipelineEntry(run, settings.seconds));
  if (entries.length === 0) throw new Error('the pipeline profile timed no rate');
  const oursMax = highest(entries, (entry) => entry.ours.sustained);
  const headline = entries.find((entry) => entry.offered_per_s === oursMax) ?? entries[0]!;
  let cpu = 0;
  let resumes = 0;
  for (const run of result.runs) {
    if (run.cpuMsPerResume === undefined) continue;
    cpu += run.cpuMsPerResume * run.loop.resumed;
    resumes += run.loop.resumed;
  }
  const cpuPerResume = resumes === 0 ? null : round(cpu / resumes, 2);
  return {
    profile: 'pipeline',
    n: headline.ours.arrivals,
    headline_per_s: headline.offered_per_s,
    seconds_per_rate: settings.seconds,
    deliveries_in_flight: deliveriesInFlight,
    ours: {
      latency_ms: headline.ours.latency_ms,
      throughput_per_s: headline.ours.achieved_per_s,
      max_sustained_per_s: oursMax,
      rss_mb: round(result.peakRssMiB, 1),
      cpu_ms_per_resume: cpuPerResume,
      ...requestFigures(result.requests.perResume),
    },
    operator: {
      latency_ms: headline.operator.latency_ms,
      max_sustained_per_s: highest(entries, (entry) => entry.operator.sustained),
    },
    pipeline_adds_ms: headline.pipeline_adds_ms,
    rates: entries,
    goals: { cpu_ms_per_resume: cpuGoal(cpuPerResume) },
  };
}

export function pipelineSummary(report: PipelineReport): string[] {
  const triple = (latency: LatencySummary | null) =>
    latency === null
      ? '      -      -      -'
      : [latency.p50, latency.p95, latency.p99].map((value) => value.toFixed(0).padStart(7)).join('');
  const notes = (entry: PipelineEntry) =>
    [
      entry.ours.failed > 0 ? `${entry.ours.failed} failed` : '',
      entry.ours.abandoned > 0 ? `${entry.ours.abandoned} abandoned` : '',
      entry.ours.sustained ? '' : 'not sustained',
    ]
      .filter(Boolean)
      .join(', ');
  return [
    `pipeline, ${report.seconds_per_rate} s per rate; in ms, p50 p95 p99: the whole path (delivery answered → ` +
      'workflow resumed), the operator (request created → resumed), what the EventSource, bus and Sensor add ' +
      '(answered → request created)',
    `${'offered'.padEnd(9)}${'achieved'.padStart(9)}  ${'whole path'.padEnd(21)}  ${'operator'.padEnd(21)}  ${'pipeline adds'.padEnd(21)}`,
    ...report.rates.map(
      (entry) =>
        `${`${entry.offered_per_s}/s`.padEnd(9)}${`${entry.ours.achieved_per_s.toFixed(1)}/s`.padStart(9)}  ` +
        `${triple(entry.ours.latency_ms)}  ${triple(entry.operator.latency_ms)}  ${triple(entry.pipeline_adds_ms)}` +
        `${notes(entry) ? `  (${notes(entry)})` : ''}`,
    ),
    `highest rate sustained (p99 <= ${SUSTAINED_P99_MS} ms): whole path ${report.ours.max_sustained_per_s ?? 'none'}, ` +
      `operator ${report.operator.max_sustained_per_s ?? 'none'}`,
    `CPU per resume, ms: operator ${report.ours.cpu_ms_per_resume}; ` +
      report.rates
        .map(
          (entry) =>
            `${entry.offered_per_s}/s ${Object.entries(entry.pipeline_cpu_ms_per_resume)
              .map(([name, ms]) => `${name} ${ms}`)
              .join(' ')}`,
        )
        .join('; '),
    `operator peak RSS ${report.ours.rss_mb} MiB, ${report.ours.api_requests_per_resume} API requests per resume`,
    ...goalLines(report.goals),
  ];
}
