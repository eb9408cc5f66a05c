import { KeyedBackoff, ResettingBackoff, backoffDelay } from '../../src/runtime/backoff.js';
import { FakeClock } from '../support/fake-clock.js';

describe('backoffDelay', () => {
  it('multiplies per failure and caps, with no jitter unless asked', () => {
    const policy = { initialMs: 500, maxMs: 4000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(policy, n))).toEqual([500, 1000, 2000, 4000, 4000]);
    expect(backoffDelay({ ...policy, multiplier: 3 }, 2)).toBe(1500);
  });

  it('spreads by ±jitter and never passes the cap', () => {
    const policy = { initialMs: 1000, maxMs: 1050, jitter: 0.1 };
    expect(backoffDelay(policy, 1, () => 0)).toBe(900);
    expect(backoffDelay(policy, 1, () => 1)).toBe(1050);
  });

  it('does not overflow after very many failures', () => {
    expect(backoffDelay({ initialMs: 1, maxMs: 60_000 }, 5000)).toBe(60_000);
  });
});

describe('KeyedBackoff', () => {
  it('counts failures per key and starts over once a key is forgotten', () => {
    const backoff = new KeyedBackoff({ initialMs: 500, maxMs: 4000 });
    expect([1, 2, 3].map(() => backoff.next('k'))).toEqual([500, 1000, 2000]);
    expect(backoff.next('other')).toBe(500);
    expect(backoff.failuresOf('k')).toBe(3);
    backoff.forget('k');
    expect(backoff.failuresOf('k')).toBe(0);
    expect(backoff.next('k')).toBe(500);
  });
});

describe('ResettingBackoff', () => {
  it('keeps growing while failures come closer together than the reset interval', () => {
    const clock = new FakeClock();
    const backoff = new ResettingBackoff({ initialMs: 100, maxMs: 10_000, resetAfterMs: 60_000 }, clock);
    const delays = [];
    for (let i = 0; i < 4; i += 1) {
      delays.push(backoff.next());
      clock.set(clock.now() + 30_000);
    }
    expect(delays).toEqual([100, 200, 400, 800]);
  });

  it('starts over after a healthy interval', () => {
    const clock = new FakeClock();
    const backoff = new ResettingBackoff({ initialMs: 100, maxMs: 10_000, resetAfterMs: 60_000 }, clock);
    backoff.next();
    backoff.next();
    clock.set(clock.now() + 60_001);
    expect(backoff.next()).toBe(100);
  });
});
