// Leader election on a coordination.k8s.io/v1 Lease, with client-go's timing model: a candidate
// takes the lease when it is free or its holder has not renewed it for leaseDuration; the leader
// renews every retryPeriod and steps down if it cannot renew within renewDeadline. Every write
// carries the lease's resourceVersion, so two candidates can never both win.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { classifyError } from '../domain/errors.js';

export interface LeaderElectionSettings {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface LeaderCallbacks {
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

export class LeaderElector {
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private lastRenew = 0;
  private stopped = false;

  constructor(
    private readonly api: k8s.CoordinationV1Api,
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
      const lease = await this.api.readNamespacedLease({ name: this.settings.name, namespace: this.settings.namespace });
      if (lease.spec?.holderIdentity === this.settings.identity) {
        lease.spec.holderIdentity = undefined;
        lease.spec.leaseDurationSeconds = 1;
        await this.api.replaceNamespacedLease({ name: this.settings.name, namespace: this.settings.namespace, body: lease });
      }
    } catch (error) {
      this.logger.warn('could not release the leader lease', { error: String(error) });
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let acquired = false;
    try {
      acquired = await this.tryAcquireOrRenew();
    } catch (error) {
      if (classifyError(error) !== 'conflict') {
        this.logger.warn('leader election attempt failed', { error: String(error) });
      }
    }
    const now = Date.now();
    if (acquired) {
      this.lastRenew = now;
      if (!this.leading) {
        this.leading = true;
        this.logger.info('became leader', { lease: `${this.settings.namespace}/${this.settings.name}`, identity: this.settings.identity });
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

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationMs } = this.settings;
    const now = new Date();
    const leaseDurationSeconds = Math.ceil(leaseDurationMs / 1000);
    let lease: k8s.V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (classifyError(error) !== 'not-found') throw error;
      await this.api.createNamespacedLease({
        namespace,
        body: {
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        },
      });
      return true;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity;
    const renewed = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const expired = renewed + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < now.getTime();
    if (holder && holder !== identity && !expired) return false;
    const transitions = (spec.leaseTransitions ?? 0) + (holder === identity ? 0 : 1);
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: now,
      acquireTime: holder === identity ? spec.acquireTime : now,
      leaseTransitions: transitions,
    };
    await this.api.replaceNamespacedLease({ name, namespace, body: lease });
    return true;
  }
}
