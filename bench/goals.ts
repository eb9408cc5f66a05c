// The goals the benchmark reports against, each with its figure and whether it was met. They live
// here, in the benchmark's output, and never in timed tests: a shared machine makes a timed
// assertion flaky, while a figure with its target can be read against the run's conditions.

export interface Goal {
  target: string;
  value: number | null;
  met: boolean;
}

/** A figure that must not exceed `limit`; a missing figure does not meet it. */
export const atMost = (target: string, value: number | null, limit: number): Goal => ({
  target,
  value,
  met: value !== null && value <= limit,
});

/** The operator's CPU time per resume, in milliseconds, on a 2-core machine. */
export const CPU_MS_PER_RESUME_GOAL = 2;
/** The scale profile: peak RSS during the burst (the Deployment's memory request) and time to ready. */
export const PEAK_RSS_MIB_GOAL = 256;
export const READY_MS_GOAL = 5000;

export const cpuGoal = (value: number | null): Goal =>
  atMost(`operator CPU time per resume <= ${CPU_MS_PER_RESUME_GOAL} ms`, value, CPU_MS_PER_RESUME_GOAL);
