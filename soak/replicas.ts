// Two operator replicas under the shipped RBAC, sharing one lease, as a Deployment with two
// replicas runs them; the chaos finds the leader the way an operator engineer would (the
// Lease's holder) and replaces a killed replica, so two are always running.
import * as k8s from '@kubernetes/client-node';
import { isAlive, signalUnlessExited } from '../bench/command.js';
import type { Deadline } from '../bench/deadline.js';
import { startOperatorProcess, type OperatorProcess } from '../bench/operator-process.js';
import type { BenchPlane } from '../bench/plane.js';

const LEASE_NAMESPACE = 'workflow-resume-system';

/**
 * Fast failover, as the integration tests use, so a run of minutes sees many leader changes, and
 * retries that outlast the fault windows (a few seconds each).
 */
export const OPERATOR_SETTINGS: Record<string, string> = {
  WRO_LEASE_DURATION_MS: '4000',
  WRO_RENEW_DEADLINE_MS: '3000',
  WRO_RETRY_PERIOD_MS: '500',
  WRO_RETRY_MAX_ATTEMPTS: '12',
  WRO_RETRY_INITIAL_DELAY_MS: '500',
  WRO_RETRY_MAX_DELAY_MS: '4000',
  WRO_BREAKER_HALF_OPEN_AFTER_MS: '2000',
  // The recheck of waiting requests that backs up the wake-ups from workflow changes: within the
  // settling time, so a wake-up lost to a fault shows as a late resume (in the p99), not a loss.
  WRO_RESYNC_INTERVAL_MS: '30000',
};

/**
 * A leader that could not renew its lease exits by itself, and the Lease still names it until
 * another replica takes over: a signal finds it gone.
 */
const signal = signalUnlessExited;

/** The operator's two replicas as the chaos sees them, processes here or the chart's pods. */
export interface OperatorReplicas {
  /** Waits for two replicas (starting them when they are processes); returns how many had exited by themselves. */
  fill(): Promise<number>;
  leader(waitMs: number): Promise<{ name: string }>;
  kill(name: string): Promise<void>;
  pause(name: string, ms: number): Promise<void>;
  names(): string[];
  stopAll(): Promise<void>;
}

export class Replicas implements OperatorReplicas {
  private readonly running = new Map<string, OperatorProcess>();
  private started = 0;
  private readonly coordination: k8s.CoordinationV1Api;

  constructor(
    private readonly options: { plane: BenchPlane; namespace: string; apiPort: number; deadline: Deadline },
  ) {
    this.coordination = options.plane.kubeConfig.makeApiClient(k8s.CoordinationV1Api);
  }

  /**
   * Starts replicas until two run. A replica may have exited on its own: a leader that cannot
   * renew its lease in time (stopped, or cut off from the API) exits on purpose. Returns how many
   * had exited.
   */
  async fill(): Promise<number> {
    let exited = 0;
    for (const [name, replica] of this.running) {
      if (isAlive(replica.pid)) continue;
      this.running.delete(name);
      exited += 1;
    }
    while (this.running.size < 2) {
      const name = `soak-replica-${String.fromCharCode(97 + (this.started % 26))}${Math.floor(this.started / 26) || ''}`;
      this.started += 1;
      const replica = await startOperatorProcess({
        ...this.options,
        namespaces: [this.options.namespace],
        name,
        env: OPERATOR_SETTINGS,
      });
      this.running.set(name, replica);
    }
    return exited;
  }

  /** The replica holding the lease, once a running one does (within `waitMs`). */
  async leader(waitMs: number): Promise<{ name: string; process: OperatorProcess }> {
    const until = Date.now() + waitMs;
    for (;;) {
      const lease = await this.coordination
        .readNamespacedLease({ name: `bench-${this.options.namespace}`, namespace: LEASE_NAMESPACE })
        .catch(() => undefined);
      const name = lease?.spec?.holderIdentity ?? '';
      const process = this.running.get(name);
      if (process) return { name, process };
      if (Date.now() > until) throw new Error(`no running replica holds the lease (holder: "${name}")`);
      await this.options.deadline.sleep('a replica to lead', 250);
    }
  }

  /** SIGKILL: the replica dies at once, holding the lease, without a word. */
  async kill(name: string): Promise<void> {
    const replica = this.running.get(name);
    if (!replica) return;
    this.running.delete(name);
    signal(replica.pid, 'SIGKILL');
    await replica.stop(0);
  }

  /** SIGSTOP for `ms`, then SIGCONT: a hung process that wakes up still believing it leads. */
  async pause(name: string, ms: number): Promise<void> {
    const replica = this.running.get(name);
    if (!replica) return;
    if (!signal(replica.pid, 'SIGSTOP')) return;
    try {
      await this.options.deadline.sleep(`${name} to stay stopped`, ms);
    } finally {
      signal(replica.pid, 'SIGCONT');
    }
  }

  names(): string[] {
    return [...this.running.keys()];
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.values()].map((replica) => replica.stop()));
    this.running.clear();
  }
}
