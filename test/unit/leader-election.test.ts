// Leader election against an in-memory Lease (with the API server's optimistic locking) and a
// fake clock: acquiring, renewing, expiry, clock skew, a call that hangs, and stop() racing a tick.
import {
  LeaderElector,
  type Lease,
  type LeaseStore,
  type LeaderElectionSettings,
} from '../../src/runtime/leader-election.js';
import type { Clock } from '../../src/runtime/clock.js';
import { silentLogger } from '../../src/observability/logger.js';
import { FakeClock } from '../support/fake-clock.js';

const settings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 };

/** One Lease object on the "API server"; each replica talks to it through its own connection. */
class LeaseServer {
  lease: Lease | undefined;
  private version = 0;
  writes: string[] = [];

  connection() {
    const connection = {
      /** Calls never answer while set. */
      hang: false,
      /** Calls fail with this while set. */
      fail: undefined as Error | undefined,
      /** Calls answer after this long, on `clock`. */
      delay: undefined as { clock: Clock; ms: number } | undefined,
    };
    const answer = <T>(work: () => T): Promise<T> => {
      if (connection.hang) return new Promise<T>(() => undefined);
      if (connection.fail) return Promise.reject(connection.fail);
      const { delay } = connection;
      if (!delay) return Promise.resolve().then(work);
      return new Promise<T>((resolve, reject) =>
        delay.clock.after(delay.ms, () => {
          try {
            resolve(work());
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        }),
      );
    };
    const store: LeaseStore = {
      namespace: 'ns',
      name: 'leader',
      get: () => answer(() => (this.lease ? structuredClone(this.lease) : undefined)),
      create: (lease) =>
        answer(() => {
          if (this.lease) throw Object.assign(new Error('exists'), { code: 409 });
          this.write(lease);
        }),
      replace: (lease) =>
        answer(() => {
          if (lease.metadata.resourceVersion !== this.lease?.metadata.resourceVersion)
            throw Object.assign(new Error('conflict'), { code: 409 });
          this.write(lease);
        }),
    };
    return { connection, store };
  }

  private write(lease: Lease): void {
    this.version += 1;
    this.lease = structuredClone({
      ...lease,
      metadata: { ...lease.metadata, resourceVersion: String(this.version) },
    });
    this.writes.push(lease.spec?.holderIdentity ?? '(released)');
  }

  get holder(): string | null | undefined {
    return this.lease?.spec?.holderIdentity;
  }
}

/** A replica's clock: the shared fake time, shifted by `offsetMs` (clock skew). */
const skewed = (clock: FakeClock, offsetMs: number): Clock => ({
  now: () => clock.now() + offsetMs,
  after: (ms, callback) => clock.after(ms, callback),
});

function replica(
  server: LeaseServer,
  clock: Clock,
  identity: string,
  log: string[],
  overrides: Partial<LeaderElectionSettings> = {},
) {
  const { connection, store } = server.connection();
  const elector = new LeaderElector(
    store,
    { identity, ...settings, ...overrides },
    {
      onStartedLeading: () => log.push(`${identity} leads`),
      onStoppedLeading: () => log.push(`${identity} stopped`),
    },
    silentLogger(),
    clock,
  );
  return { elector, connection };
}

/** Replica a leading, replica b standing by (on a clock of its own, if given). */
async function leaderAndStandby(standbyClock?: (clock: FakeClock) => Clock) {
  const clock = new FakeClock();
  const server = new LeaseServer();
  const log: string[] = [];
  const a = replica(server, clock, 'a', log);
  const b = replica(server, standbyClock?.(clock) ?? clock, 'b', log);
  a.elector.start();
  await clock.advance(0);
  b.elector.start();
  await clock.advance(0);
  return { clock, server, log, a, b };
}

describe('LeaderElector', () => {
  it('creates and takes a missing lease, then renews it every retry period', async () => {
    const clock = new FakeClock();
    const server = new LeaseServer();
    const log: string[] = [];
    const a = replica(server, clock, 'a', log);
    a.elector.start();
    await clock.advance(0);
    expect(log).toEqual(['a leads']);
    expect(a.elector.isLeader).toBe(true);
    const firstRenew = server.lease!.spec!.renewTime;
    await clock.advance(6000);
    expect(server.writes).toEqual(['a', 'a', 'a', 'a']);
    expect(server.lease!.spec!.renewTime).not.toBe(firstRenew);
    expect(server.lease!.spec!.leaseTransitions).toBe(0);
    expect(log).toEqual(['a leads']);
    await a.elector.stop();
  });

  it('keeps a standby waiting while the leader renews, and lets it take an expired lease', async () => {
    const { clock, server, log, a, b } = await leaderAndStandby();
    await clock.advance(60_000);
    expect(server.holder).toBe('a');
    expect(log).toEqual(['a leads']);
    // The leader's API connection fails from now on: it steps down, then b takes over.
    a.connection.fail = Object.assign(new Error('Service Unavailable'), { code: 503 });
    await clock.advance(30_000);
    expect(log).toEqual(['a leads', 'a stopped', 'b leads']);
    expect(server.holder).toBe('b');
    expect(server.lease!.spec!.leaseTransitions).toBe(1);
    expect(a.elector.isLeader).toBe(false);
    await b.elector.stop();
  });

  it('steps down within the renew deadline when a renew call hangs, before a standby can take the lease', async () => {
    const { clock, log, a, b } = await leaderAndStandby();
    const timeline: Array<{ at: number; what: string }> = [];
    const record = () => {
      for (const what of log.splice(0)) timeline.push({ at: clock.now(), what });
    };
    record();
    await clock.advance(4000);
    a.connection.hang = true;
    const lastRenewBefore = clock.now();
    for (let t = 0; t < 40_000; t += 100) {
      await clock.advance(100);
      record();
    }
    const stopped = timeline.find((entry) => entry.what === 'a stopped')!;
    const taken = timeline.find((entry) => entry.what === 'b leads')!;
    expect(stopped).toBeDefined();
    expect(taken).toBeDefined();
    // a renewed last at lastRenewBefore − retryPeriod at the latest; it gives up by the deadline.
    expect(stopped.at - lastRenewBefore).toBeLessThanOrEqual(settings.renewDeadlineMs);
    expect(taken.at).toBeGreaterThan(stopped.at);
    expect(taken.at - stopped.at).toBeGreaterThanOrEqual(settings.leaseDurationMs - settings.renewDeadlineMs);
    await b.elector.stop();
  });

  it('measures expiry on its own clock, so a skewed clock neither steals the lease nor blocks a takeover', async () => {
    for (const offsetMs of [3_600_000, -3_600_000]) {
      const { clock, log, a, b } = await leaderAndStandby((shared) => skewed(shared, offsetMs));
      await clock.advance(60_000);
      expect(log).toEqual(['a leads']);
      await a.elector.stop();
      log.length = 0;
      await clock.advance(settings.retryPeriodMs);
      expect(log).toEqual(['b leads']);
      await b.elector.stop();
    }
  });

  it('never takes the lease when stop() comes while a tick is reading it', async () => {
    const clock = new FakeClock();
    const server = new LeaseServer();
    const log: string[] = [];
    const a = replica(server, clock, 'a', log);
    a.connection.delay = { clock, ms: 500 };
    a.elector.start();
    await clock.advance(100);
    const stopping = a.elector.stop();
    await clock.advance(20_000);
    await stopping;
    expect(server.writes).toEqual([]);
    expect(log).toEqual([]);
    expect(a.elector.isLeader).toBe(false);
    expect(clock.timers).toBe(0);
  });

  it('waits out a renewal in flight on stop() without letting it write, then gives the lease up and writes nothing more', async () => {
    const clock = new FakeClock();
    const server = new LeaseServer();
    const log: string[] = [];
    const a = replica(server, clock, 'a', log);
    a.elector.start();
    await clock.advance(0);
    a.connection.delay = { clock, ms: 500 };
    await clock.advance(settings.retryPeriodMs + 100);
    const stopping = a.elector.stop();
    await clock.advance(20_000);
    await stopping;
    expect(server.holder).toBeNull();
    expect(server.writes.at(-1)).toBe('(released)');
    const writes = server.writes.length;
    await clock.advance(60_000);
    expect(server.writes).toHaveLength(writes);
    expect(log).toEqual(['a leads']);
  });

  it('gives up the lease it holds on stop(), without calling onStoppedLeading, so a standby takes over at once', async () => {
    const { clock, server, log, a, b } = await leaderAndStandby();
    await a.elector.stop();
    expect(server.holder).toBeNull();
    await clock.advance(settings.retryPeriodMs);
    expect(log).toEqual(['a leads', 'b leads']);
    await clock.advance(60_000);
    expect(server.writes.filter((holder) => holder === 'a')).toHaveLength(1);
    await b.elector.stop();
  });
});
