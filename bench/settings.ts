// The benchmark's knobs, from the environment, validated up front and bounded, so that no
// setting can make a run unbounded in time or in the number of objects it creates.
import { z } from 'zod';
import { parseEnvSettings, SettingsError } from './env-settings.js';
import type { Deadline } from './deadline.js';
import type { BenchPlane } from './plane.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const settingsSchema = z.object({
  /**
   * `default`: the comparison at each level of calls in flight; `scale`: full caches, then a
   * burst; `hostile`: one namespace tries to exhaust the operator while another's play is resumed;
   * `rate`: open-loop arrivals at each of a list of rates; `pipeline`: the same arrivals as GitHub
   * deliveries through the plane's Argo Events pipeline, the whole path timed.
   */
  BENCH_PROFILE: z.enum(['default', 'scale', 'hostile', 'rate', 'pipeline']).default('default'),
  /** Workflows resumed per measured batch. */
  BENCH_N: int(1, 200).default(30),
  /**
   * Untimed resumes before each measured batch, through the same path at the same level: a
   * deployed operator has run its code many times before, a freshly started one has not.
   */
  BENCH_WARMUP: int(0, 200).default(30),
  /** Client calls in flight at once (ResumeRequest creates, or `argo resume` processes). */
  BENCH_CONCURRENCY: int(1, 32).optional(),
  /** Further levels of calls in flight, each timed for both paths (comma-separated). */
  BENCH_CONCURRENCIES: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'a comma-separated list of numbers, such as 1,4,32')
    .transform((list) => list.split(',').map(Number))
    .pipe(z.array(z.number().int().min(1).max(32)).max(4))
    .default([1, 4, 32]),
  /** Hard limit on the whole run, plane start-up and tear-down included. */
  BENCH_DEADLINE_SECONDS: int(60, 3600).optional(),
  /** Scale profile: suspended play workflows in the caches (some wide, some compressed). */
  BENCH_SCALE_WORKFLOWS: int(10, 10_000).default(10_000),
  /** Scale profile: finished ResumeRequests in the caches. */
  BENCH_SCALE_FINISHED: int(0, 10_000).default(10_000),
  /** Scale profile: new ResumeRequests in the burst, each resuming one of the cached workflows. */
  BENCH_SCALE_BURST: int(1, 1000).default(1000),
  /** Scale profile: cached workflows resumed with `argo resume` for comparison. */
  BENCH_SCALE_ARGO_SAMPLE: int(1, 1000).default(100),
  /**
   * Rate and pipeline profiles: arrivals per second, each rate timed (comma-separated). By default
   * 5, 20, 50 and 100 for `rate`; 1, 2, 3, 4, 6 and 8 for `pipeline`, around the Sensor's ceiling of
   * 5 creates a second (docs/performance.md).
   */
  BENCH_RATES: z
    .string()
    .regex(/^\d+(\.\d+)?(,\d+(\.\d+)?)*$/, 'a comma-separated list of rates per second, such as 5,20,50,100')
    .transform((list) => list.split(',').map(Number))
    .pipe(z.array(z.number().min(0.5).max(200)).min(1).max(8))
    .optional(),
  /** Rate and pipeline profiles: how long arrivals come at each rate. */
  BENCH_RATE_SECONDS: int(2, 120).default(15),
  /**
   * Rate profile: client calls in flight on each path. 1 is an Argo Events trigger with
   * `atLeastOnce: true`, which handles its events one at a time (docs/performance.md).
   */
  BENCH_RATE_IN_FLIGHT: int(1, 64).default(1),
  /** Rate and pipeline profiles: seeds the arrival schedules, so a run can be replayed. */
  BENCH_RATE_SEED: int(0, 2 ** 31 - 1).default(1),
  /** An existing plane directory to use (left running); otherwise a temporary one is started. */
  PLANE_DIR: z.string().min(1).optional(),
});

export interface ScaleSettings {
  workflows: number;
  finished: number;
  burst: number;
  argoSample: number;
}

export interface RateSettings {
  /** Arrivals per second, in increasing order. */
  rates: number[];
  seconds: number;
  inFlight: number;
  seed: number;
}

export interface BenchSettings {
  /** Present for the scale profile. */
  scale: ScaleSettings | undefined;
  /** The hostile profile. */
  hostile: boolean;
  /** Present for the rate profile. */
  rate: RateSettings | undefined;
  /** Present for the pipeline profile: its rates, length and seed (`inFlight` is not used). */
  pipeline: RateSettings | undefined;
  n: number;
  /** Untimed resumes before each timed batch of the default profile. */
  warmUp: number;
  /** The headline level: the one the contract's `ours`, `argo_cli` and `ratios` describe. */
  concurrency: number;
  /** Every level timed, the headline one included, in increasing order. */
  concurrencies: number[];
  deadlineMs: number;
  planeDir: string | undefined;
}

/** Time a loaded 2-core machine may take per resume, all passes and set-up included. */
const SECONDS_PER_RESUME = 0.6;

/**
 * The default profile's deadline grows with the work: every level runs the warm-up and N timed
 * resumes on each path, and the counting pass N more. At least 600 s, at most the settings' own bound.
 */
function defaultDeadlineSeconds(n: number, warmUp: number, concurrencies: readonly number[]): number {
  const resumes = (n + warmUp) * 2 * concurrencies.length + n;
  return Math.min(3600, Math.max(600, Math.ceil(120 + resumes * SECONDS_PER_RESUME)));
}

/**
 * Arrivals a rate run may offer each path in all, on average: every one needs a suspended workflow
 * made beforehand (the Argo controller suspends about 30 a second on this machine).
 */
export const MAX_RATE_ARRIVALS = 5000;

/**
 * The rate profile's deadline: filling both namespaces at a pessimistic 10 workflows a second,
 * then at each rate both paths for three times the schedule (arrivals, the grace for late ones,
 * the drain), the warm-ups and the counting pass, and, when the path drains no faster than
 * `drainPerSecond`, every arrival at that pace. At least 600 s, at most 3600 s.
 */
function rateDeadlineSeconds(rate: RateSettings, warmUp: number, n: number, drainPerSecond?: number): number {
  const arrivals = rate.rates.reduce((sum, perSecond) => sum + perSecond, 0) * rate.seconds;
  const workflows = 2 * (arrivals + warmUp) + n;
  const runs = rate.rates.length * 2 * rate.seconds * 3;
  const drain = drainPerSecond === undefined ? 0 : (arrivals + warmUp) / drainPerSecond;
  return Math.min(
    3600,
    Math.max(600, Math.ceil(180 + workflows / 10 + runs + drain + n * SECONDS_PER_RESUME)),
  );
}

/**
 * The pipeline's Sensor creates at most 5 requests a second (client-go's default rate limit), so
 * a run above that drains at its pace: its deadline allows every arrival at 3 a second.
 */
const PIPELINE_DRAIN_PER_SECOND = 3;

const DEFAULT_RATES = [5, 20, 50, 100];
const DEFAULT_PIPELINE_RATES = [1, 2, 3, 4, 6, 8];

function rateSettings(settings: z.infer<typeof settingsSchema>, defaults: readonly number[]): RateSettings {
  const rates = [...new Set(settings.BENCH_RATES ?? defaults)].sort((a, b) => a - b);
  const rate = {
    rates,
    seconds: settings.BENCH_RATE_SECONDS,
    inFlight: settings.BENCH_RATE_IN_FLIGHT,
    seed: settings.BENCH_RATE_SEED,
  };
  const arrivals = rates.reduce((sum, perSecond) => sum + perSecond, 0) * rate.seconds;
  if (arrivals > MAX_RATE_ARRIVALS) {
    throw new SettingsError(
      `invalid benchmark settings:\n  BENCH_RATES × BENCH_RATE_SECONDS offers ${arrivals} arrivals per path ` +
        `(${rates.join(' + ')} per second for ${rate.seconds} s), more than ${MAX_RATE_ARRIVALS}: ` +
        'each needs a suspended workflow made beforehand; use fewer or lower rates, or a shorter schedule',
    );
  }
  return rate;
}

export function loadSettings(env: NodeJS.ProcessEnv): BenchSettings {
  const settings = parseEnvSettings(settingsSchema, env, 'benchmark');
  const scaled = settings.BENCH_PROFILE === 'scale';
  const rate = settings.BENCH_PROFILE === 'rate' ? rateSettings(settings, DEFAULT_RATES) : undefined;
  const pipeline =
    settings.BENCH_PROFILE === 'pipeline' ? rateSettings(settings, DEFAULT_PIPELINE_RATES) : undefined;
  const openLoop = rate ?? pipeline;
  const concurrency = settings.BENCH_CONCURRENCY ?? (scaled ? 32 : 4);
  const concurrencies = [...new Set([...settings.BENCH_CONCURRENCIES, concurrency])].sort((a, b) => a - b);
  const scale = {
    workflows: settings.BENCH_SCALE_WORKFLOWS,
    finished: settings.BENCH_SCALE_FINISHED,
    burst: settings.BENCH_SCALE_BURST,
    argoSample: settings.BENCH_SCALE_ARGO_SAMPLE,
  };
  if (scaled && scale.burst + scale.argoSample > scale.workflows) {
    throw new SettingsError(
      `invalid benchmark settings:\n  BENCH_SCALE_BURST + BENCH_SCALE_ARGO_SAMPLE ` +
        `(${scale.burst} + ${scale.argoSample}) must not exceed BENCH_SCALE_WORKFLOWS (${scale.workflows}): ` +
        'each resumes a cached workflow of its own',
    );
  }
  const hostile = settings.BENCH_PROFILE === 'hostile';
  const deadlineSeconds =
    settings.BENCH_DEADLINE_SECONDS ??
    (scaled
      ? 3600
      : hostile
        ? 900
        : openLoop
          ? rateDeadlineSeconds(
              openLoop,
              settings.BENCH_WARMUP,
              settings.BENCH_N,
              pipeline ? PIPELINE_DRAIN_PER_SECOND : undefined,
            )
          : defaultDeadlineSeconds(settings.BENCH_N, settings.BENCH_WARMUP, concurrencies));
  return {
    scale: scaled ? scale : undefined,
    hostile,
    rate,
    pipeline,
    n: settings.BENCH_N,
    warmUp: settings.BENCH_WARMUP,
    concurrency,
    concurrencies,
    deadlineMs: deadlineSeconds * 1000,
    planeDir: settings.PLANE_DIR,
  };
}

/** What every measurement pass is given. */
export interface PassOptions {
  plane: BenchPlane;
  n: number;
  /** Untimed resumes before the timed ones. */
  warmUp: number;
  concurrency: number;
  deadline: Deadline;
}

/** What the open-loop profiles (rate, pipeline) are given. */
export interface OpenLoopOptions {
  plane: BenchPlane;
  rate: RateSettings;
  /** Untimed resumes on each path before the first rate. */
  warmUp: number;
  /** Resumes of the counting pass. */
  n: number;
  deadline: Deadline;
}
