// CPU time a process has used, user and system, all its threads together (V8's compiler and
// collector threads and libuv's pool included), as the kernel accounts it in /proc/<pid>/stat.
// CPU time is what a resume costs the machine; unlike wall time it barely moves when other work
// competes for the cores, so it is the figure to compare between runs on a shared machine.
import { readFileSync } from 'node:fs';

/** Linux reports these times in USER_HZ ticks, which is 100 per second on every architecture. */
const TICKS_PER_SECOND = 100;

/** utime + stime in milliseconds, from the text of /proc/<pid>/stat. */
export function parseCpuMs(stat: string): number {
  // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of the line are the 12th and 13th after the command name.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!(Number.isInteger(utime) && Number.isInteger(stime)))
    throw new Error(`no utime and stime in /proc/<pid>/stat: ${stat.slice(0, 200)}`);
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

/** CPU time of a live process so far, in milliseconds. */
export const cpuMs = (pid: number): number => parseCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'));
