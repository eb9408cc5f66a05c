// The operator as the chart deploys it, on the plane's real node (`make soak NODE=1`): two pods of
// the chart's Deployment from the image `make image` built, under the chart's RBAC, with the
// soak's fast failover settings. The chaos deletes their pods, kills and stops their containers
// through containerd, and rolls the Deployment; the Deployment, not the soak, replaces what dies.
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { runCommandOk } from '../bench/command.js';
import type { Deadline } from '../bench/deadline.js';
import { paths, projectRoot } from '../bench/paths.js';
import type { BenchPlane } from '../bench/plane.js';
import { OPERATOR_SETTINGS } from './replicas.js';
import type { OperatorReplicas } from './replicas.js';

/** Where the chart is installed: the fault webhook knows the operator by this ServiceAccount. */
export const RELEASE_NAMESPACE = 'workflow-resume-system';
const SERVICE_ACCOUNT = 'workflow-resume-operator';
const RELEASE = 'soak';
const DEPLOYMENT = `${RELEASE}-workflow-resume-operator`;
const SELECTOR = 'app.kubernetes.io/name=workflow-resume-operator';
/** The chart names the Lease after the release. */
const LEASE = DEPLOYMENT;
const COMMAND_TIMEOUT_MS = 300_000;

/**
 * The soak's settings as the chart's values (WRO_RETRY_MAX_ATTEMPTS → retryMaxAttempts), but the
 * chart's own leader election: a pod that exits because it could not renew a 4 s lease in time
 * is restarted by the kubelet with a growing back-off, not at once as a process replica is.
 */
function chartSettings(): string[] {
  const leaderElection = ['WRO_LEASE_DURATION_MS', 'WRO_RENEW_DEADLINE_MS', 'WRO_RETRY_PERIOD_MS'];
  const settings = Object.entries(OPERATOR_SETTINGS).filter(
    ([variable]) => !leaderElection.includes(variable),
  );
  return settings.flatMap(([variable, value]) => {
    const name = variable
      .replace(/^WRO_/, '')
      .toLowerCase()
      .replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    return ['--set', `settings.${name}=${value}`];
  });
}

interface PodView {
  name: string;
  ready: boolean;
  terminating: boolean;
  containerId: string | undefined;
  restarts: number;
}

export class DeploymentReplicas implements OperatorReplicas {
  private readonly core: k8s.CoreV1Api;
  private readonly coordination: k8s.CoordinationV1Api;
  private restartsSeen = new Map<string, number>();

  constructor(
    private readonly options: { plane: BenchPlane; namespace: string; image: string; deadline: Deadline },
  ) {
    this.core = options.plane.kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.coordination = options.plane.kubeConfig.makeApiClient(k8s.CoordinationV1Api);
  }

  private run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
    return this.options.deadline.within(
      `${file.split('/').pop()} ${args.slice(0, 2).join(' ')}`,
      runCommandOk(file, args, { env, timeoutMs: COMMAND_TIMEOUT_MS }),
    );
  }

  private kubectl(args: string[]): Promise<string> {
    return this.run(this.options.plane.kubectlBin, [
      '--kubeconfig',
      this.options.plane.kubeconfigPath,
      ...args,
    ]);
  }

  /** Loads the image into the node and installs the chart; resolves once two pods are Ready. */
  async install(): Promise<void> {
    const { plane, namespace, image } = this.options;
    await this.run(paths.plane, ['load', plane.dir, image]);
    const at = image.lastIndexOf(':');
    await this.run(
      join(projectRoot, 'hack/tool'),
      [
        'helm',
        'upgrade',
        '--install',
        RELEASE,
        join(projectRoot, 'charts/workflow-resume-operator'),
        '--namespace',
        RELEASE_NAMESPACE,
        '--create-namespace',
        // The plane installed the CRD; the chart takes it over.
        '--take-ownership',
        '--set',
        `image.repository=${image.slice(0, at)}`,
        '--set',
        `image.tag=${image.slice(at + 1)}`,
        '--set',
        'image.pullPolicy=Never',
        '--set',
        `serviceAccount.name=${SERVICE_ACCOUNT}`,
        '--set',
        `watchNamespaces={${namespace}}`,
        ...chartSettings(),
        '--wait',
        '--timeout',
        '5m',
      ],
      { ...process.env, KUBECONFIG: plane.kubeconfigPath },
    );
    await this.fill();
  }

  private async pods(): Promise<PodView[]> {
    const list = await this.core.listNamespacedPod({ namespace: RELEASE_NAMESPACE, labelSelector: SELECTOR });
    return list.items.map((pod) => {
      const container = pod.status?.containerStatuses?.[0];
      return {
        name: pod.metadata!.name!,
        ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
        terminating: Boolean(pod.metadata?.deletionTimestamp),
        containerId: container?.containerID?.replace(/^containerd:\/\//, ''),
        restarts: container?.restartCount ?? 0,
      };
    });
  }

  /**
   * Waits until two pods are Ready and none is terminating (a standby must be there before the next
   * fault). Returns how many container restarts happened that the chaos did not cause: a leader
   * that could not renew its lease in time exits by itself, and the kubelet restarts it.
   */
  async fill(): Promise<number> {
    for (;;) {
      const pods = await this.pods().catch(() => []);
      const live = pods.filter((pod) => !pod.terminating);
      if (live.length === 2 && pods.length === 2 && live.every((pod) => pod.ready)) {
        let exits = 0;
        for (const pod of live) {
          exits += Math.max(0, pod.restarts - (this.restartsSeen.get(pod.name) ?? 0));
          this.restartsSeen.set(pod.name, pod.restarts);
        }
        return exits;
      }
      await this.options.deadline.sleep('two Ready operator pods', 500);
    }
  }

  async leader(waitMs: number): Promise<{ name: string }> {
    const until = Date.now() + waitMs;
    for (;;) {
      const lease = await this.coordination
        .readNamespacedLease({ name: LEASE, namespace: RELEASE_NAMESPACE })
        .catch(() => undefined);
      const name = lease?.spec?.holderIdentity ?? '';
      const pod = (await this.pods().catch(() => [])).find((p) => p.name === name && !p.terminating);
      if (pod?.containerId) return { name };
      if (Date.now() > until) throw new Error(`no running operator pod holds the lease (holder: "${name}")`);
      await this.options.deadline.sleep('an operator pod to lead', 250);
    }
  }

  private async signal(name: string, signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): Promise<void> {
    const pod = (await this.pods()).find((p) => p.name === name);
    if (!pod?.containerId) return;
    await this.run(paths.plane, [
      'node',
      this.options.plane.dir,
      'ctr',
      '-n',
      'k8s.io',
      'tasks',
      'kill',
      '--signal',
      signal,
      pod.containerId,
    ]);
    // The kubelet's restart of a killed container is the Deployment's doing, not an exit of its own.
    if (signal === 'SIGKILL') this.restartsSeen.set(name, pod.restarts + 1);
  }

  /** The container dies at once (SIGKILL through containerd); the kubelet restarts it. */
  kill(name: string): Promise<void> {
    return this.signal(name, 'SIGKILL');
  }

  /** SIGSTOP for `ms`, then SIGCONT: a hung process that wakes up still believing it leads. */
  async pause(name: string, ms: number): Promise<void> {
    await this.signal(name, 'SIGSTOP');
    try {
      await this.options.deadline.sleep(`${name} to stay stopped`, ms);
    } finally {
      await this.signal(name, 'SIGCONT');
    }
  }

  /** The pod is gone at once (a force delete: no SIGTERM, no lease given up); its replacement starts. */
  async deletePod(name: string): Promise<void> {
    await this.kubectl(['-n', RELEASE_NAMESPACE, 'delete', 'pod', name, '--grace-period=0', '--force']);
    this.restartsSeen.delete(name);
  }

  /** `kubectl rollout restart`: new pods one by one, the old ones stopped with SIGTERM. */
  async rollout(): Promise<void> {
    await this.kubectl(['-n', RELEASE_NAMESPACE, 'rollout', 'restart', `deployment/${DEPLOYMENT}`]);
    await this.kubectl([
      '-n',
      RELEASE_NAMESPACE,
      'rollout',
      'status',
      `deployment/${DEPLOYMENT}`,
      '--timeout=240s',
    ]);
    this.restartsSeen.clear();
  }

  names(): string[] {
    return [...this.restartsSeen.keys()];
  }

  /** Uninstalls the release; one that never got installed is no error (the install's is the one to see). */
  async stopAll(): Promise<void> {
    await this.run(
      join(projectRoot, 'hack/tool'),
      ['helm', 'uninstall', RELEASE, '--namespace', RELEASE_NAMESPACE, '--wait', '--ignore-not-found'],
      { ...process.env, KUBECONFIG: this.options.plane.kubeconfigPath },
    );
  }
}
