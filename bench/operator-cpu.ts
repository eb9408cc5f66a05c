// The operator's CPU time per resume: its CPU time (process-cpu.ts) over a measured stretch of
// work, from the first call until the work has settled (the watch events of the resumed
// workflows are part of a resume's cost), less what the same operator uses idle (lease and
// watch renewals) over as long.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** Where the measured windows of operator `pid` are kept beside its CPU profile. */
export const windowsFile = (pid: number) => `measured-windows.${pid}.json`;

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * With BENCH_CPU_PROFILE_DIR set, records the window in the monotonic clock the operator's V8
 * profile is stamped with, so cpu-profile-report.js attributes only the measured work.
 */
function recordWindow(pid: number, startUs: number, endUs: number): void {
  const dir = process.env.BENCH_CPU_PROFILE_DIR;
  if (!dir) return;
  const file = join(dir, windowsFile(pid));
  const windows = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as unknown[]) : [];
  writeFileSync(file, JSON.stringify([...windows, { startUs, endUs }]));
}

export function startCpuMeter(pid: number): CpuMeter {
  const cpuBefore = cpuMs(pid);
  const startedAt = performance.now();
  const startUs = monotonicUs();
  return {
    async stop(deadline) {
      await deadline.sleep('the operator to finish its follow-up work', SETTLE_MS);
      recordWindow(pid, startUs, monotonicUs());
      return { cpuMs: cpuMs(pid) - cpuBefore, windowMs: performance.now() - startedAt };
    },
  };
}

/** The idle operator's CPU time per millisecond of wall time; call it once the operator is quiet. */
export async function idleCpuPerMs(
  pid: number,
  deadline: Deadline,
  windowMs = IDLE_WINDOW_MS,
): Promise<number> {
  const meter = { cpu: cpuMs(pid), at: performance.now() };
  await deadline.sleep("the idle operator's window", windowMs);
  return (cpuMs(pid) - meter.cpu) / (performance.now() - meter.at);
}

/** CPU per resume, the idle share of the window taken out; never below zero. */
export const cpuPerResume = (used: CpuUsed, idlePerMs: number, resumes: number): number =>
  Math.max(0, used.cpuMs - idlePerMs * used.windowMs) / resumes;
