// Leader election on a coordination.k8s.io/v1 Lease, with client-go's timing model: a candidate
// takes the lease when it is free or has not been seen renewed for leaseDuration; the leader
// renews every retryPeriod and steps down if it cannot renew within renewDeadline. Every write
// carries the lease's resourceVersion, so two candidates can never both win. Leases go through
// the generic object API because the typed client writes MicroTime fields with millisecond
// precision, which the API server refuses.
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { classifyError, describeError } from '../domain/errors.js';
import { apiCall } from './api-call.js';

export interface LeaderElectionSettings {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

interface Lease {
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

const leases = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases' } as const;

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
const microTime = (date: Date) => date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export interface LeaderCallbacks {
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

export class LeaderElector {
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private lastRenew = 0;
  private observedRecord: string | undefined;
  private observedAt = 0;
  private stopped = false;

  constructor(
    private readonly api: k8s.CustomObjectsApi,
    private readonly settings: LeaderElectionSettings,
    private readonly callbacks: LeaderCallbacks,
    private readonly logger: Logger,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  /** Stops campaigning; a leader gives the lease up so a standby can take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.read();
      if (lease.spec?.holderIdentity === this.settings.identity) {
        lease.spec.holderIdentity = null;
        lease.spec.leaseDurationSeconds = 1;
        await this.replace(lease);
      }
    } catch (error) {
      this.logger.warn('could not release the leader lease', { error: describeError(error) });
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let acquired = false;
    try {
      acquired = await this.tryAcquireOrRenew();
    } catch (error) {
      if (classifyError(error) !== 'conflict') {
        this.logger.warn('leader election attempt failed', { error: describeError(error) });
      }
    }
    const now = Date.now();
    if (acquired) {
      this.lastRenew = now;
      if (!this.leading) {
        this.leading = true;
        this.logger.info('became leader', {
          lease: `${this.settings.namespace}/${this.settings.name}`,
          identity: this.settings.identity,
        });
        this.callbacks.onStartedLeading();
      }
    } else if (this.leading && now - this.lastRenew > this.settings.renewDeadlineMs) {
      this.leading = false;
      this.logger.error('lost the leader lease', { identity: this.settings.identity });
      this.callbacks.onStoppedLeading();
      return;
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.settings.retryPeriodMs);
  }

  private get key(): string {
    return `${this.settings.namespace}/${this.settings.name}`;
  }

  private read(): Promise<Lease> {
    return apiCall('get', 'leases', this.key, () =>
      this.api.getNamespacedCustomObject({
        ...leases,
        namespace: this.settings.namespace,
        name: this.settings.name,
      }),
    );
  }

  private replace(lease: Lease): Promise<unknown> {
    return apiCall('update', 'leases', this.key, () =>
      this.api.replaceNamespacedCustomObject({
        ...leases,
        namespace: this.settings.namespace,
        name: this.settings.name,
        body: lease,
      }),
    );
  }

  private create(lease: Lease): Promise<unknown> {
    return apiCall('create', 'leases', this.key, () =>
      this.api.createNamespacedCustomObject({ ...leases, namespace: this.settings.namespace, body: lease }),
    );
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationMs } = this.settings;
    const now = new Date();
    const leaseDurationSeconds = Math.ceil(leaseDurationMs / 1000);
    let lease: Lease;
    try {
      lease = await this.read();
    } catch (error) {
      if (classifyError(error) !== 'not-found') throw error;
      await this.create({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace },
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
    // As client-go does, expiry is measured on this replica's clock from when it last saw the
    // record change, never by comparing the holder's renewTime with the local clock: the two
    // clocks may disagree.
    const record = `${holder ?? ''}/${spec.renewTime ?? ''}`;
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = now.getTime();
    }
    const expired =
      this.observedAt + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < now.getTime();
    if (holder && holder !== identity && !expired) return false;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: microTime(now),
      acquireTime: holder === identity && spec.acquireTime ? spec.acquireTime : microTime(now),
      leaseTransitions: (spec.leaseTransitions ?? 0) + (holder === identity ? 0 : 1),
    };
    await this.replace(lease);
    return true;
  }
}
