// Injects the scheduled faults into the operator's replicas, the plane and its Argo Events
// pipeline. They run one at a time and each ends with the plane whole again (process continued,
// component restarted, webhook answering), so what is left to check at the end is recovery: the
// operator's, and the pipeline's delivery of everything it acknowledged.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { isAlive, runCommandOk, signalUnlessExited } from '../bench/command.js';
import type { CountingProxy } from '../bench/counting-proxy.js';
import type { Deadline } from '../bench/deadline.js';
import { paths } from '../bench/paths.js';
import type { FaultWebhook } from '../test/support/fault-webhook.js';
import { DeploymentReplicas } from './deployment.js';
import type { OperatorReplicas } from './replicas.js';
import type { FaultKind, ScheduledFault } from './schedule.js';

/** The pipeline's processes, in the order they start: the bus, then its two clients. */
const PIPELINE = ['nats-server', 'sensor', 'eventsource'] as const;
/** How long a webhook fault window lasts. */
const WEBHOOK_WINDOW_MS = 3000;
/** Longer than the lease (4 s), so the standby takes over while the leader is stopped. */
const STOP_MS = 6000;
/** Under the webhook's 5 s timeout: the write succeeds, late. */
const SLOW_ANSWER_MS = 2500;

export interface ChaosOptions {
  planeDir: string;
  kubeConfig: k8s.KubeConfig;
  replicas: OperatorReplicas;
  webhook: FaultWebhook;
  proxy: CountingProxy;
  deadline: Deadline;
  log: (message: string) => void;
}

export interface ChaosTally {
  injected: Map<FaultKind, number>;
  /** Replicas that exited by themselves (a leader that lost its lease) and were replaced. */
  replicaExits: number;
  /**
   * Pipeline processes that exited by themselves and were started again, as their Deployments'
   * pods would be (a Sensor started while nats-server restarts exits at once).
   */
  pipelineExits: number;
  droppedWatchStreams: number;
}

export class Chaos {
  readonly tally: ChaosTally = {
    injected: new Map(),
    replicaExits: 0,
    pipelineExits: 0,
    droppedWatchStreams: 0,
  };

  constructor(private readonly options: ChaosOptions) {}

  /** Runs the schedule from `startedAt` (Date.now()); resolves with the plane whole again. */
  async run(schedule: readonly ScheduledFault[], startedAt: number): Promise<void> {
    for (const fault of schedule) {
      const waitMs = startedAt + fault.atMs - Date.now();
      // A fault that overran its slot (a slow restart) delays the next ones; none is skipped.
      if (waitMs > 0) await this.options.deadline.sleep('the next fault', waitMs);
      // Two replicas and the whole pipeline before every fault: a standby must be there to take
      // over, and each fault meets the processes it is meant for.
      this.tally.replicaExits += await this.options.replicas.fill();
      await this.restartExitedPipeline();
      this.options.log(`fault: ${fault.kind}`);
      await this.inject(fault.kind);
      this.tally.injected.set(fault.kind, (this.tally.injected.get(fault.kind) ?? 0) + 1);
    }
    this.tally.replicaExits += await this.options.replicas.fill();
    await this.restartExitedPipeline();
  }

  /** Starts again each pipeline process that has exited by itself. */
  private async restartExitedPipeline(): Promise<void> {
    for (const name of PIPELINE) {
      if (isAlive(this.pipelinePid(name))) continue;
      this.options.log(`${name} had exited by itself; starting it again`);
      this.tally.pipelineExits += 1;
      await this.plane('start', this.options.planeDir, name);
    }
  }

  /** The pid `hack/plane` recorded for the process, 0 (never alive) when there is none. */
  private pipelinePid(name: (typeof PIPELINE)[number]): number {
    try {
      return Number(readFileSync(join(this.options.planeDir, `${name}.pid`), 'utf8').trim());
    } catch {
      return 0;
    }
  }

  private async inject(kind: FaultKind): Promise<void> {
    const { replicas, webhook, proxy, deadline } = this.options;
    switch (kind) {
      case 'sigkill-leader':
        return replicas.kill((await replicas.leader(20_000)).name);
      case 'sigstop-leader':
        return replicas.pause((await replicas.leader(20_000)).name, STOP_MS);
      case 'delete-leader-pod':
        return this.deployment().deletePod((await replicas.leader(20_000)).name);
      case 'rollout-restart':
        return this.deployment().rollout();
      case 'apiserver-restart':
        return this.restart('apiserver');
      case 'etcd-restart':
        return this.restart('etcd');
      case 'dropped-watches':
        this.tally.droppedWatchStreams += proxy.dropWatches();
        return;
      case 'sensor-kill':
        return this.killSensor();
      case 'eventsource-restart':
        return this.restartPipeline('eventsource');
      case 'nats-restart':
        return this.restartPipeline('nats-server');
      case 'webhook-5xx':
      case 'webhook-429':
      case 'webhook-slow':
        webhook.slowMs = SLOW_ANSWER_MS;
        webhook.fault = kind === 'webhook-5xx' ? '5xx' : kind === 'webhook-429' ? '429' : 'slow';
        try {
          await deadline.sleep(`the ${kind} window`, WEBHOOK_WINDOW_MS);
        } finally {
          webhook.fault = 'none';
        }
        return;
    }
  }

  private deployment(): DeploymentReplicas {
    if (this.options.replicas instanceof DeploymentReplicas) return this.options.replicas;
    throw new Error('pod faults need the operator as the chart deploys it (make soak NODE=1)');
  }

  /**
   * `hack/plane stop` then `start` of one component, back once the API server is ready. The Argo
   * controller is restarted after it: its informers back off for minutes after an outage, which
   * would stall the workflows, not the operator under test.
   */
  private async restart(component: 'apiserver' | 'etcd'): Promise<void> {
    const { planeDir, deadline } = this.options;
    await this.plane('stop', planeDir, component);
    await deadline.sleep(`${component} to stay down`, 1000);
    await this.plane('start', planeDir, component);
    await this.apiserverReady();
    await this.plane('stop', planeDir, 'controller');
    await this.plane('start', planeDir, 'controller');
  }

  /** The Sensor SIGKILLed wherever it is (mid-create, before an ack) and started again. */
  private async killSensor(): Promise<void> {
    const { planeDir, deadline } = this.options;
    const pid = this.pipelinePid('sensor');
    // It may have exited by itself since the last check.
    signalUnlessExited(pid, 'SIGKILL');
    while (isAlive(pid)) await deadline.sleep('the Sensor to exit', 50);
    await this.plane('start', planeDir, 'sensor');
  }

  /** One of the pipeline's processes stopped (SIGTERM, then SIGKILL) and started again. */
  private async restartPipeline(name: 'eventsource' | 'nats-server'): Promise<void> {
    const { planeDir, deadline } = this.options;
    await this.plane('stop', planeDir, name);
    await deadline.sleep(`${name} to stay down`, 1000);
    await this.plane('start', planeDir, name);
  }

  private plane(...args: string[]): Promise<unknown> {
    return this.options.deadline.within(
      `hack/plane ${args.join(' ')}`,
      runCommandOk(paths.plane, [...args], { timeoutMs: 120_000 }),
    );
  }

  private async apiserverReady(): Promise<void> {
    const api = this.options.kubeConfig.makeApiClient(k8s.CoreV1Api);
    for (;;) {
      const ready = await api.readNamespace({ name: 'default' }).then(
        () => true,
        () => false,
      );
      if (ready) return;
      await this.options.deadline.sleep('the API server to answer again', 500);
    }
  }
}
