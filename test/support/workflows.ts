// Play workflows on the plane: create one from the suspend-only fixture and observe it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import type { Workflow, WorkflowNode } from '../../src/api/workflow.js';
import { plane, projectRoot, waitFor } from './plane.js';

const workflowsApi = { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflows' } as const;

export function playWorkflow(name: string, labels: Record<string, string> = {}): Workflow {
  const manifest = parse(
    readFileSync(join(projectRoot, 'test/fixtures/workflows/play-suspend.yaml'), 'utf8'),
  ) as Workflow;
  manifest.metadata.name = name;
  manifest.metadata.labels = { ...manifest.metadata.labels, ...labels };
  return manifest;
}

export function customObjects(): k8s.CustomObjectsApi {
  return plane().kubeConfig().makeApiClient(k8s.CustomObjectsApi);
}

export async function createWorkflow(namespace: string, workflow: Workflow): Promise<Workflow> {
  return (await customObjects().createNamespacedCustomObject({
    ...workflowsApi,
    namespace,
    body: workflow,
  })) as Workflow;
}

export async function getWorkflow(namespace: string, name: string): Promise<Workflow> {
  return (await customObjects().getNamespacedCustomObject({ ...workflowsApi, namespace, name })) as Workflow;
}

export function nodeByDisplayName(workflow: Workflow, displayName: string): WorkflowNode | undefined {
  return Object.values(workflow.status?.nodes ?? {}).find((node) => node.displayName === displayName);
}

/** Waits until the workflow, read afresh, satisfies `holds`; resolves with it. */
function waitForWorkflow(
  namespace: string,
  name: string,
  what: string,
  holds: (workflow: Workflow) => boolean,
  timeoutMs: number,
): Promise<Workflow> {
  return waitFor(
    `workflow ${namespace}/${name} to ${what}`,
    async () => {
      const workflow = await getWorkflow(namespace, name);
      return holds(workflow) ? workflow : undefined;
    },
    { timeoutMs },
  );
}

/** Waits until the named suspend node is the workflow's active suspend node. */
export function waitForSuspendAt(
  namespace: string,
  name: string,
  displayName: string,
  timeoutMs = 60_000,
): Promise<Workflow> {
  const waiting = (workflow: Workflow) => {
    const node = nodeByDisplayName(workflow, displayName);
    return node?.type === 'Suspend' && node.phase === 'Running';
  };
  return waitForWorkflow(namespace, name, `suspend at ${displayName}`, waiting, timeoutMs);
}

export function waitForWorkflowPhase(
  namespace: string,
  name: string,
  phase: string,
  timeoutMs = 60_000,
): Promise<Workflow> {
  const reached = (workflow: Workflow) => workflow.status?.phase === phase;
  return waitForWorkflow(namespace, name, `reach phase ${phase}`, reached, timeoutMs);
}

export const STAGE_NODES = ['wait-pr-created', 'wait-ready-for-qa', 'wait-pr-approved'] as const;
