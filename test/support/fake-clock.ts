// A clock for unit tests: time moves only when the test says so, and timers fire in order as it
// passes, with the promise callbacks they start run to completion in between.
import type { Clock, Timer } from '../../src/runtime/clock.js';

interface Pending {
  at: number;
  seq: number;
  callback: () => void;
}

/** Lets every promise continuation that is ready run (several rounds, for chained awaits). */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly pending = new Set<Pending>();

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Moves time without firing timers (for a clock that jumps). */
  set(time: number): void {
    this.current = time;
  }

  after(ms: number, callback: () => void): Timer {
    const entry = { at: this.current + Math.max(0, ms), seq: this.seq++, callback };
    this.pending.add(entry);
    return { cancel: () => void this.pending.delete(entry) };
  }

  get timers(): number {
    return this.pending.size;
  }

  /** Advances time by `ms`, firing each timer that falls due at its own instant. */
  async advance(ms: number): Promise<void> {
    const end = this.current + ms;
    await flush();
    for (;;) {
      const next = [...this.pending]
        .filter((entry) => entry.at <= end)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.pending.delete(next);
      this.current = Math.max(this.current, next.at);
      next.callback();
      await flush();
    }
    this.current = end;
  }
}
