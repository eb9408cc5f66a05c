import { ErrorBackoff } from '../../src/runtime/error-backoff.js';

describe('ErrorBackoff', () => {
  it('doubles per consecutive failure of a key, capped, and starts over once forgotten', () => {
    const backoff = new ErrorBackoff(500, 4000);
    expect([1, 2, 3, 4, 5].map(() => backoff.next('k'))).toEqual([500, 1000, 2000, 4000, 4000]);
    expect(backoff.next('other')).toBe(500);
    expect(backoff.failuresOf('k')).toBe(5);
    backoff.forget('k');
    expect(backoff.failuresOf('k')).toBe(0);
    expect(backoff.next('k')).toBe(500);
  });

  it('does not overflow after very many failures', () => {
    const backoff = new ErrorBackoff(1, 60_000);
    let last = 0;
    for (let i = 0; i < 2000; i += 1) last = backoff.next('k');
    expect(last).toBe(60_000);
  });
});
