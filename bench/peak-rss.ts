// A process's peak resident set size, as the kernel keeps it (VmHWM in /proc/<pid>/status):
// the high-water mark over the process's whole life, so it cannot miss a short peak the way
// sampling would.
import { readFileSync } from 'node:fs';

/** VmHWM in kB from the text of /proc/<pid>/status. */
export function parseVmHwmKb(status: string): number {
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error('no VmHWM line in /proc/<pid>/status (is this Linux?)');
  return Number(match[1]);
}

/** Peak RSS of a live process in MiB. */
export function peakRssMiB(pid: number): number {
  return parseVmHwmKb(readFileSync(`/proc/${pid}/status`, 'utf8')) / 1024;
}
