import type { OpenLoopResult } from '../../bench/open-loop.js';
import type { ArrivalTimes, PipelineResult, PipelineRun } from '../../bench/pipeline.js';
import { buildPipelineReport, pipelineEntry, pipelineSummary } from '../../bench/pipeline-report.js';
import { loadSettings } from '../../bench/settings.js';

describe('the pipeline profile settings', () => {
  it('take the rate profile’s rates, length and seed, and are absent from the other profiles', () => {
    const settings = loadSettings({
      BENCH_PROFILE: 'pipeline',
      BENCH_RATES: '50,5',
      BENCH_RATE_SECONDS: '10',
    });
    expect(settings.pipeline).toMatchObject({ rates: [5, 50], seconds: 10, seed: 1 });
    expect(settings.rate).toBeUndefined();
    expect(loadSettings({ BENCH_PROFILE: 'rate' }).pipeline).toBeUndefined();
    expect(settings.deadlineMs).toBeGreaterThanOrEqual(600_000);
  });

  it('default to rates around the Sensor’s ceiling, and give a run above it the time to drain', () => {
    const settings = loadSettings({ BENCH_PROFILE: 'pipeline' });
    expect(settings.pipeline?.rates).toEqual([1, 2, 3, 4, 6, 8]);
    const rate = { BENCH_RATES: '50,100', BENCH_RATE_SECONDS: '15' };
    expect(loadSettings({ BENCH_PROFILE: 'pipeline', ...rate }).deadlineMs).toBeGreaterThan(
      loadSettings({ BENCH_PROFILE: 'rate', ...rate }).deadlineMs,
    );
  });

  it('refuse a schedule that would need more workflows than the bound', () => {
    expect(() =>
      loadSettings({ BENCH_PROFILE: 'pipeline', BENCH_RATES: '200', BENCH_RATE_SECONDS: '30' }),
    ).toThrow(/6000 arrivals per path/);
  });
});

/**
 * Arrivals answered `answerMs` after they were sent at `i` ms, their request seen `addsMs` after
 * the answer and their workflow resumed `operatorMs` after that.
 */
const arrivals = (count: number, answerMs: number, addsMs: number, operatorMs: number): ArrivalTimes[] =>
  Array.from({ length: count }, (_, i) => ({
    answerMs,
    ok: true,
    answeredAtMs: i + answerMs,
    createdAtMs: i + answerMs + addsMs,
    resumedAtMs: i + answerMs + addsMs + operatorMs,
  }));

const loop = (count: number, extra: Partial<OpenLoopResult> = {}): OpenLoopResult => ({
  arrivals: count,
  resumed: count,
  failed: 0,
  abandoned: 0,
  latenciesMs: Array.from({ length: count }, () => 50),
  startLagsMs: [],
  elapsedMs: 10_000,
  ...extra,
});

const pipelineRun = (
  offeredPerSecond: number,
  times: ArrivalTimes[],
  extra: Partial<OpenLoopResult> = {},
): PipelineRun => ({
  offeredPerSecond,
  loop: loop(times.length, extra),
  arrivals: times,
  cpuMsPerResume: 1.5,
  pipelineCpuMsPerResume: { eventsource: 0.8, 'nats-server': 0.3, sensor: 2.1 },
});

describe('the pipeline report', () => {
  it('splits the whole path into what the pipeline adds and the operator’s own part, arrival by arrival', () => {
    const entry = pipelineEntry(pipelineRun(10, arrivals(100, 4, 15, 30)), 10);
    expect(entry.ours.latency_ms).toEqual({ p50: 45, p95: 45, p99: 45 });
    expect(entry.operator.latency_ms).toEqual({ p50: 30, p95: 30, p99: 30 });
    expect(entry.pipeline_adds_ms).toEqual({ p50: 15, p95: 15, p99: 15 });
    expect(entry.ours.answer_ms).toEqual({ p50: 4, p95: 4, p99: 4 });
    expect(entry.ours).toMatchObject({ achieved_per_s: 10, sustained: true, cpu_ms_per_resume: 1.5 });
    expect(entry.pipeline_cpu_ms_per_resume).toEqual({ eventsource: 0.8, 'nats-server': 0.3, sensor: 2.1 });
  });

  it('keeps a request that appeared before the delivery was answered as a negative addition', () => {
    expect(pipelineEntry(pipelineRun(10, arrivals(10, 4, -3, 30)), 10).pipeline_adds_ms?.p50).toBe(-3);
  });

  it('holds a rate as sustained only with a p99 within a second and no delivery failed or abandoned', () => {
    expect(pipelineEntry(pipelineRun(10, arrivals(100, 4, 500, 499)), 10).ours.sustained).toBe(true);
    const slow = pipelineEntry(pipelineRun(10, arrivals(100, 4, 900, 200)), 10);
    expect(slow.ours.sustained).toBe(false);
    // The operator's part alone still held.
    expect(slow.operator.sustained).toBe(true);
    const failed = arrivals(100, 4, 15, 30);
    failed[7] = { answerMs: 3, ok: false, answeredAtMs: 10 };
    const entry = pipelineEntry(pipelineRun(10, failed, { failed: 1, resumed: 99 }), 10);
    expect(entry.ours).toMatchObject({ failed: 1, resumed: 99, sustained: false });
    expect(
      pipelineEntry(pipelineRun(10, arrivals(100, 4, 15, 30), { abandoned: 1 }), 10).ours.sustained,
    ).toBe(false);
  });

  const result = (runs: PipelineRun[]): PipelineResult => ({
    settings: { rates: runs.map((run) => run.offeredPerSecond), seconds: 10, inFlight: 1, seed: 1 },
    runs,
    peakRssMiB: 110.04,
    requests: {
      perResume: { total: 2, writes: 2, reads: 0, byKind: new Map([['patch workflows', 1]]) },
      run: { ms: 1, requests: new Map() },
      idle: { ms: 1, requests: new Map() },
    },
  });

  it('reports the highest rate the whole path and the operator held, the headline at the former', () => {
    const report = buildPipelineReport(
      result([
        pipelineRun(5, arrivals(50, 4, 10, 30)),
        pipelineRun(20, arrivals(200, 4, 20, 40)),
        pipelineRun(50, arrivals(500, 4, 2000, 60)),
      ]),
      64,
    );
    expect(report).toMatchObject({
      profile: 'pipeline',
      n: 200,
      headline_per_s: 20,
      deliveries_in_flight: 64,
      ours: { max_sustained_per_s: 20, rss_mb: 110, cpu_ms_per_resume: 1.5, api_requests_per_resume: 2 },
      operator: { max_sustained_per_s: 50, latency_ms: { p50: 40 } },
      pipeline_adds_ms: { p50: 20 },
      goals: { cpu_ms_per_resume: { met: true } },
    });
    expect(report.ours.latency_ms?.p99).toBe(60);
    expect(report.rates.map((entry) => entry.offered_per_s)).toEqual([5, 20, 50]);
    expect(pipelineSummary(report).join('\n')).toMatch(/whole path 20, operator 50/);
  });

  it('keeps the lowest rate as headline when the whole path held none, and reports no latency for no resume', () => {
    const none = buildPipelineReport(
      result([pipelineRun(50, [{ answerMs: 3, ok: false, answeredAtMs: 1 }], { resumed: 0, failed: 1 })]),
      64,
    );
    expect(none.ours.max_sustained_per_s).toBeNull();
    expect(none.headline_per_s).toBe(50);
    expect(none.ours.latency_ms).toBeNull();
    expect(none.ours.cpu_ms_per_resume).toBeNull();
  });
});
