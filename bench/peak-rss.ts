// A process's resident set size as the kernel reports it in /proc/<pid>/status: VmRSS now, and
// VmHWM, the high-water mark over the process's whole life, which cannot miss a short peak the
// way sampling would.
import { readFileSync } from 'node:fs';

/** The value in kB of a `Vm…:` line (VmHWM, VmRSS) in the text of /proc/<pid>/status. */
export function parseStatusKb(status: string, field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} line in /proc/<pid>/status (is this Linux?)`);
  return Number(match[1]);
}

const statusMiB = (pid: number, field: 'VmHWM' | 'VmRSS') =>
  parseStatusKb(readFileSync(`/proc/${pid}/status`, 'utf8'), field) / 1024;

/** Peak RSS of a live process in MiB. */
export const peakRssMiB = (pid: number) => statusMiB(pid, 'VmHWM');

/** RSS of a live process now, in MiB. */
export const rssMiB = (pid: number) => statusMiB(pid, 'VmRSS');
