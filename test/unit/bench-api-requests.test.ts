import { describeApiRequest, isWrite, perResume } from '../../bench/api-requests.js';
import { SettingsError } from '../../bench/env-settings.js';
import { loadSettings } from '../../bench/settings.js';

describe('describeApiRequest', () => {
  it('names requests by verb and resource, as RBAC does', () => {
    expect(describeApiRequest('GET', '/apis/argoproj.io/v1alpha1/namespaces/a/workflows/w')).toBe(
      'get workflows',
    );
    expect(describeApiRequest('GET', '/apis/argoproj.io/v1alpha1/namespaces/a/workflows?watch=true')).toBe(
      'watch workflows',
    );
    expect(
      describeApiRequest('PATCH', '/apis/resume.workflows.dev/v1alpha1/namespaces/a/resumerequests/r/status'),
    ).toBe('patch resumerequests/status');
    expect(describeApiRequest('POST', '/api/v1/namespaces/a/events')).toBe('create events');
  });
});

describe('isWrite', () => {
  it('counts creates (Events included), updates, patches and deletes as writes', () => {
    for (const kind of ['create events', 'update workflows', 'patch resumerequests/status', 'delete leases'])
      expect(isWrite(kind)).toBe(true);
  });

  it('counts gets, lists, watches and discovery as reads', () => {
    for (const kind of ['get workflows', 'list resumerequests', 'watch workflows', 'discovery'])
      expect(isWrite(kind)).toBe(false);
  });
});

describe('perResume', () => {
  it('subtracts the idle baseline scaled to the run and divides by the resumes', () => {
    const run = new Map([
      ['update workflows', 10],
      ['create events', 20],
      ['get workflows', 10],
      ['update leases', 8],
    ]);
    const idle = new Map([['update leases', 2]]);
    const count = perResume(run, idle, 4, 10);
    expect(count.byKind.get('update workflows')).toBe(1);
    expect(count.byKind.has('update leases')).toBe(false);
    expect(count.writes).toBe(3);
    expect(count.reads).toBe(1);
    expect(count.total).toBe(4);
  });

  it('never reports a kind below zero when the idle operator was busier than the run', () => {
    const count = perResume(new Map([['get leases', 1]]), new Map([['get leases', 5]]), 1, 10);
    expect(count.total).toBe(0);
    expect(count.byKind.size).toBe(0);
  });
});

describe('loadSettings', () => {
  it('times 1, 4 and 32 calls in flight by default, with 4 as the headline', () => {
    const settings = loadSettings({});
    expect(settings.concurrency).toBe(4);
    expect(settings.concurrencies).toEqual([1, 4, 32]);
  });

  it('gives a larger default profile run a longer deadline, between 600 and 3600 s', () => {
    expect(loadSettings({}).deadlineMs).toBe(600_000);
    // (200 timed + 30 warm-up) × 2 paths × 3 levels + 200 counted, at 0.6 s each, + 120 s
    expect(loadSettings({ BENCH_N: '200' }).deadlineMs).toBe(1_068_000);
    expect(loadSettings({ BENCH_N: '200', BENCH_WARMUP: '0' }).deadlineMs).toBe(960_000);
    expect(loadSettings({ BENCH_N: '200', BENCH_DEADLINE_SECONDS: '300' }).deadlineMs).toBe(300_000);
  });

  it('warms each path up with 30 untimed resumes unless told otherwise, at most 200', () => {
    expect(loadSettings({}).warmUp).toBe(30);
    expect(loadSettings({ BENCH_WARMUP: '0' }).warmUp).toBe(0);
    expect(() => loadSettings({ BENCH_WARMUP: '201' })).toThrow(SettingsError);
  });

  it('adds the headline level to the levels timed, in order, without repeats', () => {
    const settings = loadSettings({ BENCH_CONCURRENCY: '8', BENCH_CONCURRENCIES: '32,1,32' });
    expect(settings.concurrencies).toEqual([1, 8, 32]);
  });

  it('refuses levels outside 1..32 and lists that are not numbers', () => {
    expect(() => loadSettings({ BENCH_CONCURRENCIES: '0,4' })).toThrow(SettingsError);
    expect(() => loadSettings({ BENCH_CONCURRENCIES: '1;4' })).toThrow(SettingsError);
    expect(() => loadSettings({ BENCH_CONCURRENCIES: '33' })).toThrow(SettingsError);
  });
});
