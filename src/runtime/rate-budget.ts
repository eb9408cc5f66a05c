// A budget that refills with time, per group (a namespace): a token bucket holding at most
// `capacity`, gaining `capacity` per `periodMs`. A group may spend while it has anything left, so
// one costly piece of work always gets through once the bucket has refilled a little, and the
// most a group spends over any stretch of time is its capacity plus what it regained meanwhile.
import type { Clock } from './clock.js';

export interface RateBudgetLimits {
  capacity: number;
  periodMs: number;
}

export class RateBudget {
  private readonly groups = new Map<string, { left: number; at: number }>();

  constructor(
    readonly limits: RateBudgetLimits,
    private readonly clock: Pick<Clock, 'now'>,
  ) {}

  /** True while the group has something left to spend. */
  allows(group: string): boolean {
    return this.refilled(group).left > 0;
  }

  spend(group: string, amount: number): void {
    const state = this.refilled(group);
    state.left -= amount;
    this.groups.set(group, state);
  }

  private refilled(group: string): { left: number; at: number } {
    const now = this.clock.now();
    const { capacity, periodMs } = this.limits;
    const state = this.groups.get(group);
    if (!state) return { left: capacity, at: now };
    const left = Math.min(capacity, state.left + ((now - state.at) / periodMs) * capacity);
    // A full bucket is the same as none: forget it, so quiet namespaces cost nothing.
    if (left >= capacity) {
      this.groups.delete(group);
      return { left: capacity, at: now };
    }
    return { left, at: now };
  }
}
