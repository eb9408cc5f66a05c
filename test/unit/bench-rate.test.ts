import { poissonArrivals } from '../../bench/arrivals.js';
import { summarizeProfile, sourceOf, type CpuProfile } from '../../bench/cpu-profile.js';
import { Deadline } from '../../bench/deadline.js';
import { SettingsError } from '../../bench/env-settings.js';
import { runOpenLoop, type RunClock, type Started } from '../../bench/open-loop.js';
import { parseCpuMs } from '../../bench/process-cpu.js';
import type { PathRun, RateResult } from '../../bench/rate.js';
import { buildRateReport, maxSustained, pathAtRate } from '../../bench/rate-report.js';
import { loadSettings } from '../../bench/settings.js';
import { FakeClock } from '../support/fake-clock.js';

describe('the rate profile settings', () => {
  it('default to 5, 20, 50 and 100 arrivals per second for 15 s each, one call in flight', () => {
    const settings = loadSettings({ BENCH_PROFILE: 'rate' });
    expect(settings.rate).toEqual({ rates: [5, 20, 50, 100], seconds: 15, inFlight: 1, seed: 1 });
    expect(settings.scale).toBeUndefined();
    expect(settings.deadlineMs).toBeGreaterThanOrEqual(600_000);
    expect(settings.deadlineMs).toBeLessThanOrEqual(3_600_000);
  });

  it('are absent from the other profiles', () => {
    expect(loadSettings({}).rate).toBeUndefined();
    expect(loadSettings({ BENCH_PROFILE: 'scale' }).rate).toBeUndefined();
  });

  it('sort the rates, drop repeats and take fractions', () => {
    const settings = loadSettings({ BENCH_PROFILE: 'rate', BENCH_RATES: '20,0.5,5,20' });
    expect(settings.rate?.rates).toEqual([0.5, 5, 20]);
  });

  it('refuse lists that are not rates, rates out of bounds and too many rates', () => {
    for (const rates of ['fast', '5,,20', '5;20', '-5', '0.2', '201', '1,2,3,4,5,6,7,8,9']) {
      expect(() => loadSettings({ BENCH_PROFILE: 'rate', BENCH_RATES: rates })).toThrow(SettingsError);
    }
    expect(() => loadSettings({ BENCH_PROFILE: 'rate', BENCH_RATE_SECONDS: '1' })).toThrow(
      /BENCH_RATE_SECONDS/,
    );
    expect(() => loadSettings({ BENCH_PROFILE: 'rate', BENCH_RATE_IN_FLIGHT: '65' })).toThrow(
      /BENCH_RATE_IN_FLIGHT/,
    );
  });

  it('refuse a schedule that would need more workflows than the bound, and say how many', () => {
    const tooMany = { BENCH_PROFILE: 'rate', BENCH_RATES: '100,200', BENCH_RATE_SECONDS: '20' };
    expect(() => loadSettings(tooMany)).toThrow(/6000 arrivals per path/);
    expect(loadSettings({ ...tooMany, BENCH_RATE_SECONDS: '16' }).rate?.seconds).toBe(16);
  });

  it('bound the whole run by a deadline that grows with the schedule', () => {
    const short = loadSettings({ BENCH_PROFILE: 'rate', BENCH_RATES: '5', BENCH_RATE_SECONDS: '5' });
    const long = loadSettings({ BENCH_PROFILE: 'rate', BENCH_RATES: '100,200', BENCH_RATE_SECONDS: '16' });
    expect(short.deadlineMs).toBe(600_000);
    expect(long.deadlineMs).toBeGreaterThan(short.deadlineMs);
    expect(long.deadlineMs).toBeLessThanOrEqual(3_600_000);
    expect(loadSettings({ BENCH_PROFILE: 'rate', BENCH_DEADLINE_SECONDS: '120' }).deadlineMs).toBe(120_000);
  });
});

describe('Poisson arrivals', () => {
  it('fall within the schedule, in increasing order, the same for the same seed', () => {
    const offsets = poissonArrivals(20, 15, 7);
    expect(offsets.every((at, i) => at >= 0 && at < 15_000 && (i === 0 || at > offsets[i - 1]!))).toBe(true);
    expect(poissonArrivals(20, 15, 7)).toEqual(offsets);
    expect(poissonArrivals(20, 15, 8)).not.toEqual(offsets);
  });

  it('come at the rate asked for, with exponential gaps', () => {
    const offsets = poissonArrivals(100, 200, 1);
    // 20,000 expected; a Poisson count's standard deviation is its square root, 141.
    expect(Math.abs(offsets.length - 20_000)).toBeLessThan(600);
    const gaps = offsets.slice(1).map((at, i) => at - offsets[i]!);
    const mean = gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((sum, gap) => sum + (gap - mean) ** 2, 0) / gaps.length);
    expect(mean).toBeCloseTo(10, 0);
    // An exponential distribution's standard deviation equals its mean; a fixed pace's is 0.
    expect(sd / mean).toBeGreaterThan(0.95);
    expect(sd / mean).toBeLessThan(1.05);
    // and about e^-1 of the gaps are longer than the mean.
    expect(gaps.filter((gap) => gap > mean).length / gaps.length).toBeCloseTo(Math.exp(-1), 1);
  });

  it('refuse a rate or a length that is not a positive number', () => {
    expect(() => poissonArrivals(0, 10, 1)).toThrow(RangeError);
    expect(() => poissonArrivals(5, Number.NaN, 1)).toThrow(RangeError);
  });
});

/** A run clock on a FakeClock, and a client call that takes `serviceMs` of it. */
function virtualTime() {
  const fake = new FakeClock(0);
  const clock: RunClock = {
    now: () => fake.now(),
    sleep: (ms) => new Promise<void>((resolve) => fake.after(ms, resolve)),
  };
  const call = (serviceMs: number): Started => {
    const done = clock.sleep(serviceMs).then(() => fake.now());
    return { resumed: done, call: done.then(() => undefined) };
  };
  return { fake, clock, call };
}

describe('an open-loop run', () => {
  const deadline = new Deadline(60_000);

  it('times each arrival from its scheduled time, so the wait for a busy slot counts', async () => {
    const { fake, clock, call } = virtualTime();
    const run = runOpenLoop({
      description: 'test',
      offsetsMs: [0, 10, 20],
      inFlight: 1,
      issueForMs: 10_000,
      start: () => call(100),
      deadline,
      clock,
    });
    await fake.advance(1000);
    const result = await run;
    // Served one after another: done at 100, 200 and 300 ms after the first arrival.
    expect(result.latenciesMs).toEqual([100, 190, 280]);
    expect(result.startLagsMs).toEqual([0, 90, 180]);
    expect(result).toMatchObject({ arrivals: 3, resumed: 3, abandoned: 0, elapsedMs: 300 });
  });

  it('serves arrivals side by side up to its slots, and none early', async () => {
    const { fake, clock, call } = virtualTime();
    const started: number[] = [];
    const run = runOpenLoop({
      description: 'test',
      offsetsMs: [0, 10, 20, 500],
      inFlight: 2,
      issueForMs: 10_000,
      start: (index) => {
        started[index] = fake.now();
        return call(100);
      },
      deadline,
      clock,
    });
    await fake.advance(1000);
    const result = await run;
    expect(result.latenciesMs).toEqual([100, 100, 180, 100]);
    // The fourth arrival found a slot free and started on time, not when the slot freed up.
    expect(started.map((at) => at - started[0]!)).toEqual([0, 10, 100, 500]);
  });

  it('abandons arrivals that find no slot in time and counts their wait as a lower bound', async () => {
    const { fake, clock, call } = virtualTime();
    const run = runOpenLoop({
      description: 'test',
      offsetsMs: [0, 1, 2, 3],
      inFlight: 1,
      issueForMs: 150,
      start: () => call(100),
      deadline,
      clock,
    });
    await fake.advance(1000);
    const result = await run;
    expect(result).toMatchObject({ arrivals: 4, resumed: 2, abandoned: 2 });
    // The third and fourth were given up at 200 ms, when a slot was next free.
    expect(result.latenciesMs).toEqual([100, 199, 198, 197]);
  });

  it('counts an arrival whose call was refused as failed, apart from the latencies', async () => {
    const { fake, clock, call } = virtualTime();
    const run = runOpenLoop({
      description: 'test',
      offsetsMs: [0, 10, 20],
      inFlight: 3,
      issueForMs: 10_000,
      start: (index) =>
        index === 1 ? { resumed: Promise.resolve(undefined), call: Promise.resolve() } : call(100),
      deadline,
      clock,
    });
    await fake.advance(1000);
    const result = await run;
    expect(result).toMatchObject({ arrivals: 3, resumed: 2, failed: 1, abandoned: 0 });
    expect(result.latenciesMs).toEqual([100, 100]);
    expect(pathAtRate({ ...result }, 1).sustained).toBe(false);
  });

  it('fails as soon as a client call fails', async () => {
    const { fake, clock } = virtualTime();
    const run = runOpenLoop({
      description: 'test',
      offsetsMs: [0],
      inFlight: 1,
      issueForMs: 1000,
      start: () => ({
        resumed: new Promise<number>(() => undefined),
        call: Promise.reject(new Error('exit 1')),
      }),
      deadline,
      clock,
    });
    run.catch(() => undefined);
    await fake.advance(100);
    await expect(run).rejects.toThrow('exit 1');
  });
});

const run = (latenciesMs: number[], extra: Partial<PathRun> = {}): PathRun => ({
  arrivals: latenciesMs.length,
  resumed: latenciesMs.length,
  failed: 0,
  abandoned: 0,
  latenciesMs,
  startLagsMs: latenciesMs.map(() => 0),
  elapsedMs: 10_000,
  ...extra,
});

const flat = (count: number, ms: number) => Array.from({ length: count }, () => ms);

describe('the rate report', () => {
  it('holds a rate as sustained only with p99 within a second and nothing abandoned', () => {
    expect(pathAtRate(run(flat(100, 900)), 10).sustained).toBe(true);
    expect(pathAtRate(run([...flat(98, 100), 1500, 1500]), 10).sustained).toBe(false);
    expect(pathAtRate(run(flat(100, 100), { abandoned: 1, resumed: 99 }), 10).sustained).toBe(false);
  });

  it('gives the achieved rate over the schedule, or over the run when it took longer', () => {
    expect(pathAtRate(run(flat(50, 100)), 10).achieved_per_s).toBe(5);
    expect(pathAtRate(run(flat(50, 100), { elapsedMs: 25_000 }), 10).achieved_per_s).toBe(2);
  });

  const result = (runs: Array<[number, number[], number[]]>): RateResult => ({
    settings: { rates: runs.map(([rate]) => rate), seconds: 10, inFlight: 1, seed: 1 },
    runs: runs.map(([offeredPerSecond, ours, argo]) => ({
      offeredPerSecond,
      ours: run(ours, { cpuMsPerResume: 1.5 }),
      argoCli: run(argo),
    })),
    peakRssMiB: 120.04,
    requests: {
      perResume: { total: 2, writes: 2, reads: 0, byKind: new Map([['patch workflows', 1]]) },
      run: { ms: 1, requests: new Map() },
      idle: { ms: 1, requests: new Map() },
    },
  });

  it('reports the highest rate each path held, and the headline at the highest argo held', () => {
    const report = buildRateReport(
      result([
        [5, flat(50, 40), flat(50, 80)],
        [20, flat(200, 45), flat(200, 5000)],
        [50, flat(500, 60), flat(500, 9000)],
        [100, flat(1000, 3000), flat(1000, 9000)],
      ]),
    );
    expect(report.profile).toBe('rate');
    expect(report.ours.max_sustained_per_s).toBe(50);
    expect(report.argo_cli.max_sustained_per_s).toBe(5);
    expect(maxSustained(report.rates, 'ours')).toBe(50);
    expect(report.headline_per_s).toBe(5);
    expect(report.n).toBe(50);
    expect(report.ours.latency_ms.p99).toBe(40);
    expect(report.ratios.latency_p99).toBe(0.5);
    expect(report.ours).toMatchObject({ rss_mb: 120, cpu_ms_per_resume: 1.5, api_requests_per_resume: 2 });
    expect(report.goals.sustained_rate_ratio).toMatchObject({ value: 10, met: true });
    expect(report.goals.p99_ratio_where_argo_sustains).toMatchObject({ value: 0.5, met: true });
    expect(report.goals.cpu_ms_per_resume.met).toBe(true);
    expect(report.rates.map((entry) => entry.offered_per_s)).toEqual([5, 20, 50, 100]);
  });

  it('misses the goals when ours is not far enough ahead, and keeps the lowest rate as headline when argo held none', () => {
    const close = buildRateReport(
      result([
        [5, flat(50, 60), flat(50, 80)],
        [20, flat(200, 2000), flat(200, 5000)],
      ]),
    );
    expect(close.goals.sustained_rate_ratio).toMatchObject({ value: 1, met: false });
    expect(close.goals.p99_ratio_where_argo_sustains).toMatchObject({ value: 0.75, met: false });

    const none = buildRateReport(result([[50, flat(500, 100), flat(500, 5000)]]));
    expect(none.argo_cli.max_sustained_per_s).toBeNull();
    expect(none.headline_per_s).toBe(50);
    expect(none.goals.sustained_rate_ratio).toMatchObject({ value: null, met: true });
  });
});

describe('CPU time from /proc/<pid>/stat', () => {
  it('adds user and system ticks, whatever the command name holds', () => {
    const stat = '4242 (node (worker) 1) S 1 4242 4242 0 -1 4194560 9051 0 0 0 1234 56 0 0 20 0 11 0';
    expect(parseCpuMs(stat)).toBe(12_900);
  });

  it('refuses a line without the two fields', () => {
    expect(() => parseCpuMs('4242 (node) S 1')).toThrow(/utime and stime/);
  });
});

describe('a CPU profile summary', () => {
  const frame = (functionName: string, url: string) => ({
    functionName,
    url,
    lineNumber: 0,
    columnNumber: 0,
  });
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(idle)', '') },
      { id: 2, callFrame: frame('parse', 'file:///app/node_modules/undici/lib/web/fetch.js') },
      { id: 3, callFrame: frame('(garbage collector)', '') },
      { id: 4, callFrame: frame('readFile', 'node:fs') },
    ],
    startTime: 1_000_000,
    // Samples at 1,000,100 (idle), 1,000,200 (parse), 1,000,500 (gc), 1,000,600 (parse), 1,002,600 (readFile).
    samples: [1, 2, 3, 2, 4],
    timeDeltas: [100, 100, 300, 100, 2000],
  };

  it('gives each sample the time to the next, leaves idle out and names packages and built-ins', () => {
    const summary = summarizeProfile(profile, [], undefined);
    // parse 300 + 2000 µs, the collector 100 µs, the last sample nothing (no sample follows it).
    expect(summary.busyMs).toBe(2.4);
    expect(summary.bySource).toEqual([
      { name: 'node_modules/undici', ms: 2.3, percent: 95.8 },
      { name: '(garbage collector)', ms: 0.1, percent: 4.2 },
      { name: 'node (built-in modules)', ms: 0, percent: 0 },
    ]);
    expect(summary.byFunction[0]).toEqual({ name: 'parse (node_modules/undici)', ms: 2.3, percent: 95.8 });
  });

  it('counts only the samples inside the measured windows', () => {
    const summary = summarizeProfile(profile, [{ startUs: 1_000_150, endUs: 1_000_550 }], undefined);
    expect(summary.bySource.map(({ name, ms }) => [name, ms])).toEqual([
      ['node_modules/undici', 0.3],
      ['(garbage collector)', 0.1],
    ]);
  });

  it('names a frame of the project by its source file', () => {
    expect(sourceOf('file:///srv/app/src/controller/reconciler.ts', 3, 4, undefined)).toBe(
      'src/controller/reconciler.ts',
    );
    expect(sourceOf('', 0, 0, undefined)).toBe('(V8)');
  });
});
