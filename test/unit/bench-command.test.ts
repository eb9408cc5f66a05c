// The process checks the soak's chaos relies on: a pid read from a missing or empty file (0) or a
// negative one names a process group, this one's among them, and must never be taken as a process
// to signal; a process that has exited is reported, not thrown.
import { spawnSync } from 'node:child_process';
import { isAlive, signalUnlessExited } from '../../bench/command.js';

describe('the process checks', () => {
  it('take only a positive pid as a process', () => {
    expect(isAlive(process.pid)).toBe(true);
    for (const pid of [0, -1, -process.pid, Number.NaN, 1.5]) expect(isAlive(pid)).toBe(false);
    expect(signalUnlessExited(0, 'SIGKILL')).toBe(false);
    expect(signalUnlessExited(-process.pid, 'SIGKILL')).toBe(false);
  });

  it('report a process that has exited instead of throwing', () => {
    const { pid } = spawnSync(process.execPath, ['-e', '']);
    expect(isAlive(pid)).toBe(false);
    expect(signalUnlessExited(pid, 'SIGKILL')).toBe(false);
    expect(signalUnlessExited(process.pid, 'SIGCONT')).toBe(true);
  });
});
