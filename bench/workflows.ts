// Play workflows for the benchmark: the project's suspend-only fixture (the Argo controller runs
// it without pods), created in bulk, and the node states a resume is measured between.
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { WORKFLOW_GROUP, WORKFLOW_PLURAL, WORKFLOW_VERSION, type Workflow } from '../src/api/workflow.js';
import { readNodes } from '../src/domain/compressed-nodes.js';
import type { Deadline } from './deadline.js';
import type { ObjectWatch } from './object-watch.js';
import { paths } from './paths.js';
import { runPool } from './pool.js';

/** The first gate of a play: what both resume paths are measured on. */
export const SUSPEND_NODE = 'wait-pr-created';

export const workflowCollection = (namespace: string) => ({
  group: WORKFLOW_GROUP,
  version: WORKFLOW_VERSION,
  plural: WORKFLOW_PLURAL,
  namespace,
});

const fixture = () => parse(readFileSync(paths.playWorkflow, 'utf8')) as Workflow;

export function playWorkflow(name: string, taskId: string): Workflow {
  const workflow = fixture();
  workflow.metadata.name = name;
  workflow.metadata.labels = { ...workflow.metadata.labels, 'task-id': taskId };
  return workflow;
}

function nodePhase(workflow: Workflow, displayName: string): { type?: string; phase?: string } | undefined {
  const nodes = readNodes(workflow);
  if (!nodes.ok) return undefined;
  return Object.values(nodes.nodes).find((node) => node.displayName === displayName);
}

export const isSuspendedAt = (displayName: string) => (workflow: Workflow) => {
  const node = nodePhase(workflow, displayName);
  return node?.type === 'Suspend' && node.phase === 'Running';
};

export const isResumedAt = (displayName: string) => (workflow: Workflow) =>
  nodePhase(workflow, displayName)?.phase === 'Succeeded';

/** A workflow that has finished or failed will never reach a suspend node. */
export const hasEnded = (workflow: Workflow): string | undefined => {
  const phase = workflow.status?.phase;
  return phase === 'Failed' || phase === 'Error'
    ? `workflow ${phase}: ${workflow.status?.message}`
    : undefined;
};

/**
 * Creates one play workflow per name (task id = name) and waits until every one is suspended at
 * SUSPEND_NODE, so that measurements start from a quiet plane.
 */
export async function createSuspendedWorkflows(options: {
  kubeConfig: k8s.KubeConfig;
  watch: ObjectWatch<Workflow>;
  namespace: string;
  names: readonly string[];
  deadline: Deadline;
  /** The workflow to create for each name; the plain play by default. */
  build?: (name: string, index: number) => Workflow;
  /** Creates in flight at once. */
  concurrency?: number;
}): Promise<void> {
  const { kubeConfig, watch, namespace, names, deadline } = options;
  const build = options.build ?? ((name: string) => playWorkflow(name, name));
  const api = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const suspended = names.map((name) => watch.until(name, isSuspendedAt(SUSPEND_NODE), hasEnded));
  await deadline.within(
    `${names.length} workflows to be created in ${namespace}`,
    runPool(names, options.concurrency ?? 8, async (name, index) => {
      await api.createNamespacedCustomObject({
        ...workflowCollection(namespace),
        body: build(name, index),
      });
    }),
  );
  await deadline.within(
    `${names.length} workflows in ${namespace} to suspend at ${SUSPEND_NODE}`,
    Promise.all(suspended),
  );
}

/** Deletes the benchmark's workflows, so a reused plane does not carry them into later runs. */
export async function deleteWorkflows(kubeConfig: k8s.KubeConfig, namespace: string): Promise<void> {
  await kubeConfig
    .makeApiClient(k8s.CustomObjectsApi)
    .deleteCollectionNamespacedCustomObject(workflowCollection(namespace));
}
