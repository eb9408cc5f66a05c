// OURS, timed: the operator, connected straight to the apiserver as it would be deployed,
// resumes N suspended play workflows from one ResumeRequest each, after a warm-up. Its peak RSS
// is read at the end of the pass (the kernel's high-water mark covers the whole run), and its CPU
// time per resume over the measured batch.
import type { BatchResult } from './batch.js';
import { cpuPerResume, idleCpuPerMs } from './operator-cpu.js';
import { withOursSession } from './ours-session.js';
import { peakRssMiB } from './peak-rss.js';
import type { PassOptions } from './settings.js';

export interface OursResult {
  batch: BatchResult;
  peakRssMiB: number;
  /** The operator's CPU time per resume over the measured batch, its idle use taken out. */
  cpuMsPerResume: number;
}

export function measureOurs(options: PassOptions): Promise<OursResult> {
  const sessionOptions = { ...options, label: `ours, ${options.concurrency} in flight` };
  return withOursSession(sessionOptions, async (session) => {
    const { batch, cpu } = await session.resumeAll(options.concurrency);
    const idle = await idleCpuPerMs(session.operator.pid, options.deadline);
    return {
      batch,
      peakRssMiB: peakRssMiB(session.operator.pid),
      cpuMsPerResume: cpuPerResume(cpu, idle, batch.latenciesMs.length),
    };
  });
}
