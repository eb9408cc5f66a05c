// Watches the soak's workflows to time each resume: when a stage's suspend node was first seen
// waiting and when it was first seen resumed. Client-node's informer stops on any error other
// than 410, and the soak breaks its connections on purpose, so it is restarted after each one.
import * as k8s from '@kubernetes/client-node';
import type { Workflow } from '../src/api/workflow.js';
import { readNodes } from '../src/domain/compressed-nodes.js';
import { workflowCollection } from '../bench/workflows.js';
import { STAGES } from './histories.js';

const RESTART_AFTER_MS = 1000;

/** "run/stage index", the key of every per-stage figure. */
export const stageKey = (run: string, stage: number) => `${run}/${stage}`;

export class StageObserver {
  /** Date.now() when the stage's node was first seen waiting. */
  readonly waitingAt = new Map<string, number>();
  /** Date.now() when the stage's node was first seen succeeded. */
  readonly resumedAt = new Map<string, number>();
  private readonly informer: k8s.Informer<Workflow & k8s.KubernetesObject>;
  private stopped = false;

  constructor(kubeConfig: k8s.KubeConfig, namespace: string) {
    const api = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    const ref = workflowCollection(namespace);
    const list = () =>
      api.listNamespacedCustomObject(ref) as Promise<
        k8s.KubernetesListObject<Workflow & k8s.KubernetesObject>
      >;
    this.informer = k8s.makeInformer(
      kubeConfig,
      `/apis/${ref.group}/${ref.version}/namespaces/${namespace}/${ref.plural}`,
      list,
    );
    const seen = (workflow: Workflow) => this.record(workflow);
    this.informer.on('add', seen);
    this.informer.on('update', seen);
    this.informer.on('error', () => {
      if (!this.stopped) setTimeout(() => void this.start().catch(() => undefined), RESTART_AFTER_MS);
    });
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer.stop();
  }

  private record(workflow: Workflow): void {
    const nodes = readNodes(workflow);
    if (!nodes.ok) return;
    const now = Date.now();
    for (const [index, stage] of STAGES.entries()) {
      const node = Object.values(nodes.nodes).find((n) => n.displayName === stage.suspendNode);
      const key = stageKey(workflow.metadata.name, index);
      if (node?.phase === 'Running' && !this.waitingAt.has(key)) this.waitingAt.set(key, now);
      if (node?.phase === 'Succeeded' && !this.resumedAt.has(key)) this.resumedAt.set(key, now);
    }
  }
}
