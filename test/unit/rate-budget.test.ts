// The budget that bounds how much compressed node status one namespace inflates per minute.
import { RateBudget } from '../../src/runtime/rate-budget.js';

describe('RateBudget', () => {
  it('lets a group spend while it has anything left, and refills it with time', () => {
    let now = 0;
    const budget = new RateBudget({ capacity: 100, periodMs: 60_000 }, { now: () => now });
    expect(budget.allows('a')).toBe(true);
    budget.spend('a', 70);
    expect(budget.allows('a')).toBe(true);
    // One costly piece of work gets through with anything left, and runs the bucket dry.
    budget.spend('a', 70);
    expect(budget.allows('a')).toBe(false);
    expect(budget.allows('b')).toBe(true);
    now += 12_000; // regains 20 of the 40 it is short
    expect(budget.allows('a')).toBe(false);
    now += 18_000; // regains 30 more: 10 ahead
    expect(budget.allows('a')).toBe(true);
    now += 10 * 60_000;
    budget.spend('a', 100);
    expect(budget.allows('a')).toBe(false);
  });
});
