import { formatDelay, retryDelayMs, type RetrySettings } from '../../src/resilience/retry-schedule.js';

const defaults: RetrySettings = {
  maxAttempts: 3,
  initialDelayMs: 2000,
  maxDelayMs: 30_000,
  multiplier: 2,
  jitter: 0.1,
};

describe('retryDelayMs', () => {
  it('doubles from the initial delay without jitter at the midpoint', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(defaults, n, mid))).toEqual([
      2000, 4000, 8000, 16_000, 30_000,
    ]);
  });

  it('caps at the maximum delay', () => {
    expect(retryDelayMs(defaults, 12, () => 0.5)).toBe(30_000);
    expect(retryDelayMs(defaults, 12, () => 1)).toBe(30_000);
  });

  it('spreads each delay over ±jitter', () => {
    expect(retryDelayMs(defaults, 1, () => 0)).toBe(1800);
    expect(retryDelayMs(defaults, 1, () => 1)).toBe(2200);
    expect(retryDelayMs(defaults, 2, () => 0)).toBe(3600);
  });

  it('stays within the jitter band for random draws', () => {
    for (let n = 1; n <= 4; n += 1) {
      const base = Math.min(30_000, 2000 * 2 ** (n - 1));
      for (let i = 0; i < 50; i += 1) {
        const delay = retryDelayMs(defaults, n);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.9));
        expect(delay).toBeLessThanOrEqual(Math.ceil(base * 1.1));
      }
    }
  });

  it('honours another multiplier and no jitter', () => {
    const settings = { ...defaults, multiplier: 3, jitter: 0 };
    expect([1, 2, 3].map((n) => retryDelayMs(settings, n))).toEqual([2000, 6000, 18_000]);
  });
});

describe('formatDelay', () => {
  it.each([
    [2000, '2s'],
    [2150, '2.15s'],
    [1800, '1.8s'],
    [12_340, '12.3s'],
    [30_000, '30s'],
    [250, '0.25s'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDelay(ms)).toBe(text);
    expect(text).toMatch(/^[0-9]+(\.[0-9]+)?(ms|s|m|h)$/);
  });
});
