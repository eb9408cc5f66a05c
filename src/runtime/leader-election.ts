// Leader election on a coordination.k8s.io/v1 Lease, with client-go's timing model:
// - a candidate takes the lease when it is free, or when the record has not changed for
//   leaseDuration as measured on the candidate's own clock from when it saw the change: never by
//   comparing the holder's renewTime with the local clock, which may disagree;
// - the leader renews every retryPeriod, and every call is bounded by what is left of
//   renewDeadline since its last successful renewal. When that runs out it stops leading at once.
//   renewDeadline is shorter than leaseDuration, so it has stopped before any other replica can
//   consider the lease expired, even when a call hangs;
// - every write carries the lease's resourceVersion, so two candidates can never both win;
// - stop() waits for the call in flight, never writes after it, and gives the lease up if this
//   replica holds it, so a standby can take over at once.
// Leases go through the generic object API because the typed client writes MicroTime fields with
// millisecond precision, which the API server refuses.
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { classifyError, describeError } from '../domain/errors.js';
import { apiCall } from './api-call.js';
import { systemClock, withDeadline, type Clock, type Timer } from './clock.js';

export interface LeaderElectionSettings {
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** The three calls election makes on its Lease. */
export interface LeaseStore {
  readonly namespace: string;
  readonly name: string;
  /** The lease, or undefined when it does not exist. */
  get(): Promise<Lease | undefined>;
  create(lease: Lease): Promise<void>;
  /** Rejects (409) when the lease changed since `lease.metadata.resourceVersion`. */
  replace(lease: Lease): Promise<void>;
}

const leases = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases' } as const;

export function kubernetesLeaseStore(api: k8s.CustomObjectsApi, namespace: string, name: string): LeaseStore {
  const key = `${namespace}/${name}`;
  return {
    namespace,
    name,
    async get() {
      try {
        return (await apiCall('get', 'leases', key, () =>
          api.getNamespacedCustomObject({ ...leases, namespace, name }),
        )) as Lease;
      } catch (error) {
        if (classifyError(error) === 'not-found') return undefined;
        throw error;
      }
    },
    async create(body) {
      await apiCall('create', 'leases', key, () =>
        api.createNamespacedCustomObject({ ...leases, namespace, body }),
      );
    },
    async replace(body) {
      await apiCall('update', 'leases', key, () =>
        api.replaceNamespacedCustomObject({ ...leases, namespace, name, body }),
      );
    },
  };
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export interface LeaderCallbacks {
  onStartedLeading: () => void;
  /** Called at most once, when leadership is lost; a stop() that gives the lease up does not call it. */
  onStoppedLeading: () => void;
}

class Abandoned extends Error {
  override readonly name = 'Abandoned';
}

export class LeaderElector {
  private timer: Timer | undefined;
  private leading = false;
  /** When the last successful renewal began: the lease's renewTime is at least this. */
  private lastRenew = 0;
  private observedRecord: string | undefined;
  private observedAt = 0;
  private stopped = false;
  private inFlight: Promise<unknown> | undefined;
  private readonly clock: Clock;

  constructor(
    private readonly store: LeaseStore,
    private readonly settings: LeaderElectionSettings,
    private readonly callbacks: LeaderCallbacks,
    private readonly logger: Logger,
    clock: Clock = systemClock,
  ) {
    this.clock = clock;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.schedule(0);
  }

  /** Stops campaigning; a leader gives the lease up so a standby can take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.inFlight?.catch(() => undefined);
    this.leading = false;
    try {
      await withDeadline(this.clock, this.settings.renewDeadlineMs, 'releasing the lease', this.release());
    } catch (error) {
      this.logger.warn('could not release the leader lease', { error: describeError(error) });
    }
  }

  private async release(): Promise<void> {
    const lease = await this.store.get();
    if (lease?.spec?.holderIdentity !== this.settings.identity) return;
    lease.spec.holderIdentity = null;
    lease.spec.leaseDurationSeconds = 1;
    await this.store.replace(lease);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.clock.after(ms, () => void this.tick());
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const started = this.clock.now();
    // A leader's calls must end before its renew deadline; a candidate's within one deadline too,
    // so a hung call never stalls the campaign.
    const budget = this.leading
      ? this.lastRenew + this.settings.renewDeadlineMs - started
      : this.settings.renewDeadlineMs;
    if (budget <= 0) return this.stepDown();
    let abandoned = false;
    const attempt = withDeadline(
      this.clock,
      budget,
      'lease call',
      this.tryAcquireOrRenew(() => abandoned || this.stopped),
    );
    this.inFlight = attempt;
    let acquired = false;
    try {
      acquired = await attempt;
    } catch (error) {
      abandoned = true;
      if (!this.stopped && classifyError(error) !== 'conflict' && !(error instanceof Abandoned)) {
        this.logger.warn('leader election attempt failed', { error: describeError(error) });
      }
    }
    this.inFlight = undefined;
    if (this.stopped) return;
    if (acquired) {
      this.lastRenew = started;
      if (!this.leading) {
        this.leading = true;
        this.logger.info('became leader', {
          lease: `${this.store.namespace}/${this.store.name}`,
          identity: this.settings.identity,
        });
        this.callbacks.onStartedLeading();
      }
    }
    if (this.leading) {
      const left = this.lastRenew + this.settings.renewDeadlineMs - this.clock.now();
      if (left <= 0) return this.stepDown();
      // Look again no later than the deadline, so a string of failures steps down on time.
      return this.schedule(Math.min(this.settings.retryPeriodMs, left));
    }
    this.schedule(this.settings.retryPeriodMs);
  }

  private stepDown(): void {
    this.leading = false;
    this.stopped = true;
    this.logger.error('lost the leader lease: could not renew it within the renew deadline', {
      identity: this.settings.identity,
      renewDeadlineMs: this.settings.renewDeadlineMs,
    });
    this.callbacks.onStoppedLeading();
  }

  /** True when this replica holds the lease after the call. Never writes once `abandoned()`. */
  private async tryAcquireOrRenew(abandoned: () => boolean): Promise<boolean> {
    const { identity, leaseDurationMs } = this.settings;
    const leaseDurationSeconds = Math.ceil(leaseDurationMs / 1000);
    const lease = await this.store.get();
    const now = this.clock.now();
    if (abandoned()) throw new Abandoned('the attempt was abandoned');
    if (!lease) {
      await this.store.create({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.store.name, namespace: this.store.namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds,
          acquireTime: microTime(now),
          renewTime: microTime(now),
          leaseTransitions: 0,
        },
      });
      return true;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity;
    const record = `${holder ?? ''}/${spec.renewTime ?? ''}`;
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = now;
    }
    const expired = this.observedAt + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < now;
    if (holder && holder !== identity && !expired) return false;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: microTime(now),
      acquireTime: holder === identity && spec.acquireTime ? spec.acquireTime : microTime(now),
      leaseTransitions: (spec.leaseTransitions ?? 0) + (holder === identity ? 0 : 1),
    };
    await this.store.replace(lease);
    return true;
  }
}
