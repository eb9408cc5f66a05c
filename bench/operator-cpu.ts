// The operator's CPU time per resume: its CPU time (process-cpu.ts) over a measured stretch of
// work, from the first call until the work has settled (the watch events of the resumed
// workflows are part of a resume's cost), less what the same operator uses idle (lease and
// watch renewals) over as long.
import { performance } from 'node:perf_hooks';
import type { Deadline } from './deadline.js';
import { cpuMs } from './process-cpu.js';

/** After the last resume, the operator's follow-up work ends within this. */
const SETTLE_MS = 1000;
/** The idle operator's CPU is measured over this window. */
const IDLE_WINDOW_MS = 5000;

export interface CpuUsed {
  cpuMs: number;
  windowMs: number;
}

export interface CpuMeter {
  /** Waits for the work to settle; the CPU time and wall time since the meter started. */
  stop(deadline: Deadline): Promise<CpuUsed>;
}

export function startCpuMeter(pid: number): CpuMeter {
  const cpuBefore = cpuMs(pid);
  const startedAt = performance.now();
  return {
    async stop(deadline) {
      await deadline.sleep('the operator to finish its follow-up work', SETTLE_MS);
      return { cpuMs: cpuMs(pid) - cpuBefore, windowMs: performance.now() - startedAt };
    },
  };
}

/** The idle operator's CPU time per millisecond of wall time; call it once the operator is quiet. */
export async function idleCpuPerMs(pid: number, deadline: Deadline): Promise<number> {
  const meter = { cpu: cpuMs(pid), at: performance.now() };
  await deadline.sleep("the idle operator's CPU window", IDLE_WINDOW_MS);
  return (cpuMs(pid) - meter.cpu) / (performance.now() - meter.at);
}

/** CPU per resume, the idle share of the window taken out; never below zero. */
export const cpuPerResume = (used: CpuUsed, idlePerMs: number, resumes: number): number =>
  Math.max(0, used.cpuMs - idlePerMs * used.windowMs) / resumes;
