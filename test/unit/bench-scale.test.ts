import { SettingsError } from '../../bench/env-settings.js';
import { loadSettings } from '../../bench/settings.js';
import { scaleWorkflow, shapeOf } from '../../bench/scale-workflows.js';
import { buildScaleReport, scaleSummary } from '../../bench/report.js';
import type { ScaleResult } from '../../bench/scale.js';

describe('the scale profile settings', () => {
  it('defaults to 10,000 workflows and finished requests, a burst of 1,000 at 32 in flight', () => {
    const settings = loadSettings({ BENCH_PROFILE: 'scale' });
    expect(settings.scale).toEqual({ workflows: 10_000, finished: 10_000, burst: 1000, argoSample: 100 });
    expect(settings.concurrency).toBe(32);
    expect(settings.deadlineMs).toBe(3_600_000);
  });

  it('is absent from the default profile', () => {
    expect(loadSettings({}).scale).toBeUndefined();
  });

  it('refuses a burst and an argo sample that need more workflows than are cached', () => {
    expect(() =>
      loadSettings({ BENCH_PROFILE: 'scale', BENCH_SCALE_WORKFLOWS: '100', BENCH_SCALE_BURST: '90' }),
    ).toThrow(SettingsError);
  });

  it('refuses counts beyond its bounds and unknown profiles', () => {
    expect(() => loadSettings({ BENCH_PROFILE: 'scale', BENCH_SCALE_WORKFLOWS: '10001' })).toThrow(
      SettingsError,
    );
    expect(() => loadSettings({ BENCH_PROFILE: 'huge' })).toThrow(SettingsError);
  });
});

describe('the scale workflows', () => {
  it('are mostly plain, one in twenty wide and one in a hundred compressed', () => {
    const shapes = Array.from({ length: 1000 }, (_, i) => shapeOf(i));
    expect(shapes.filter((shape) => shape === 'compressed')).toHaveLength(10);
    expect(shapes.filter((shape) => shape === 'wide')).toHaveLength(50);
  });

  it('put a skipped history fan-out before the three gates of a wide or compressed play', () => {
    for (const shape of ['wide', 'compressed'] as const) {
      const workflow = scaleWorkflow('play-7', shape);
      const templates = workflow.spec!.templates as Array<{
        name: string;
        steps?: Array<Array<{ name: string }>>;
      }>;
      const play = templates.find((template) => template.name === 'play')!;
      expect(play.steps!.map(([step]) => step!.name)).toEqual([
        'history',
        'wait-pr-created',
        'wait-ready-for-qa',
        'wait-pr-approved',
      ]);
      expect(workflow.metadata.labels!['task-id']).toBe('play-7');
    }
  });

  it('make a compressed play large enough for Argo to compress its nodes', () => {
    expect(JSON.stringify(scaleWorkflow('play-1', 'compressed')).length).toBeGreaterThan(400_000);
    expect(JSON.stringify(scaleWorkflow('play-1', 'plain'))).not.toContain('history');
  });
});

describe('the scale report', () => {
  const batch = (latenciesMs: number[]) => ({ latenciesMs, wallMs: 10_000, startedAtMs: 0 });
  const result: ScaleResult = {
    workflows: 10_000,
    finishedRequests: 10_000,
    concurrency: 32,
    burst: batch([100, 200, 300]),
    argoSample: batch([400, 500]),
    readyMs: 6012.4,
    readyCpuMs: 4321.6,
    rss: {
      emptyMiB: 95,
      requestsOnlyMiB: 110,
      readyMiB: 145,
      peakAtReadyMiB: 240.04,
      peakMiB: 262.26,
      afterBurstMiB: 170,
      afterRelistMiB: 160,
    },
    requests: { total: 2, writes: 2, reads: 0, byKind: new Map([['patch workflows', 1]]) },
    cpuMsPerResume: 5.123,
  };

  it('tells the start-up peak from the whole run’s, and the CPU time to ready from the wall time', () => {
    const report = buildScaleReport(result);
    expect(report.ours).toMatchObject({
      ready_ms: 6012,
      ready_cpu_ms: 4322,
      rss_peak_at_ready_mb: 240,
      rss_mb: 262.3,
      rss_kib_per_workflow: 3.58,
      rss_kib_per_finished_request: 1.54,
    });
    expect(report.goals.peak_rss_mb).toMatchObject({ value: 262.3, met: false });
    expect(report.goals.ready_ms).toMatchObject({ value: 6012, met: false });
    expect(scaleSummary(report).join('\n')).toMatch(/ready in 6012 ms \(4322 ms of CPU\)/);
  });
});
