// The benchmark's knobs, from the environment, validated up front and bounded, so that no
// setting can make a run unbounded in time or in the number of objects it creates.
import { z } from 'zod';
import type { Deadline } from './deadline.js';
import type { BenchPlane } from './plane.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const settingsSchema = z.object({
  /** Workflows resumed per measured batch. */
  BENCH_N: int(1, 200).default(30),
  /** Client calls in flight at once (ResumeRequest creates, or `argo resume` processes). */
  BENCH_CONCURRENCY: int(1, 32).default(4),
  /** Further levels of calls in flight, each timed for both paths (comma-separated). */
  BENCH_CONCURRENCIES: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'a comma-separated list of numbers, such as 1,4,32')
    .transform((list) => list.split(',').map(Number))
    .pipe(z.array(z.number().int().min(1).max(32)).max(4))
    .default([1, 4, 32]),
  /** Hard limit on the whole run, plane start-up and tear-down included. */
  BENCH_DEADLINE_SECONDS: int(60, 1800).default(600),
  /** An existing plane directory to use (left running); otherwise a temporary one is started. */
  PLANE_DIR: z.string().min(1).optional(),
});

export interface BenchSettings {
  n: number;
  /** The headline level: the one the contract's `ours`, `argo_cli` and `ratios` describe. */
  concurrency: number;
  /** Every level timed, the headline one included, in increasing order. */
  concurrencies: number[];
  deadlineMs: number;
  planeDir: string | undefined;
}

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

export function loadSettings(env: NodeJS.ProcessEnv): BenchSettings {
  const raw = Object.fromEntries(
    Object.keys(settingsSchema.shape)
      .map((key) => [key, env[key]] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`);
    throw new SettingsError(`invalid benchmark settings:\n  ${problems.join('\n  ')}`);
  }
  const settings = parsed.data;
  return {
    n: settings.BENCH_N,
    concurrency: settings.BENCH_CONCURRENCY,
    concurrencies: [...new Set([...settings.BENCH_CONCURRENCIES, settings.BENCH_CONCURRENCY])].sort(
      (a, b) => a - b,
    ),
    deadlineMs: settings.BENCH_DEADLINE_SECONDS * 1000,
    planeDir: settings.PLANE_DIR,
  };
}

/** What every measurement pass is given. */
export interface PassOptions {
  plane: BenchPlane;
  n: number;
  concurrency: number;
  deadline: Deadline;
}
