// Every backend write names the workflow the decision saw: a workflow deleted and created again
// under the same name, or changed since, on the real API server and Argo controller, is neither
// resumed (by a whole-object Update or by a patch from the cached copy) nor stopped by a write
// decided for the old one, and is decided again.
import * as k8s from '@kubernetes/client-node';
import { KubernetesBackend } from '../../src/backends/kubernetes-backend.js';
import { KubeTransport } from '../../src/runtime/kube-transport.js';
import { PooledKubeConfig } from '../../src/runtime/pooled-kube-config.js';
import type { ResumeTarget } from '../../src/backends/backend.js';
import type { Workflow } from '../../src/api/workflow.js';
import { projectWorkflow } from '../../src/controller/workflow-projection.js';
import { defaultDomainConfig } from '../../src/domain/config.js';
import { createNamespace, plane, waitFor } from '../support/plane.js';
import {
  createWorkflow,
  customObjects,
  getWorkflow,
  nodeByDisplayName,
  playWorkflow,
  waitForSuspendAt,
} from '../support/workflows.js';

const workflowsApi = { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflows' } as const;

function targetFor(workflow: Workflow): ResumeTarget {
  const node = nodeByDisplayName(workflow, 'wait-pr-created')!;
  return {
    namespace: workflow.metadata.namespace!,
    workflowName: workflow.metadata.name,
    workflowUid: workflow.metadata.uid!,
    resourceVersion: workflow.metadata.resourceVersion!,
    nodeId: node.id,
    parameters: {},
    markerKey: 'resume.workflows.dev/waiting-pr-created',
    markerValue: `${workflow.metadata.namespace}/identity`,
    message: 'Resumed by ResumeRequest identity (pr-created)',
    now: new Date(),
  };
}

/** The workflow as the operator's cache keeps it. */
const cached = (workflow: Workflow) =>
  projectWorkflow(workflow, defaultDomainConfig, {
    maxNodes: 1000,
    maxInflatedBytes: 1 << 20,
    maxBytes: 1 << 20,
  });

async function recreate(namespace: string, name: string): Promise<Workflow> {
  await customObjects().deleteNamespacedCustomObject({ ...workflowsApi, namespace, name });
  await waitFor(`workflow ${name} to be gone`, async () =>
    (await getWorkflow(namespace, name).catch((error: { code?: number }) => error.code)) === 404
      ? true
      : undefined,
  );
  await createWorkflow(namespace, playWorkflow(name, { 'task-id': '701' }));
  return waitForSuspendAt(namespace, name, 'wait-pr-created');
}

describe('the Kubernetes backend', () => {
  const kubeConfig = new PooledKubeConfig();
  kubeConfig.loadFromFile(plane().kubeconfigPath);
  const backend = new KubernetesBackend(customObjects(), new KubeTransport(kubeConfig), 16 << 20);

  it('does not resume a workflow created again under the name the decision saw', async () => {
    const namespace = await createNamespace('identity');
    await createWorkflow(namespace, playWorkflow('ident', { 'task-id': '701' }));
    const old = await waitForSuspendAt(namespace, 'ident', 'wait-pr-created');
    const replaced = await recreate(namespace, 'ident');
    expect(replaced.metadata.uid).not.toBe(old.metadata.uid);
    // Argo names nodes from the workflow's name, so the old decision's node id exists again.
    expect(nodeByDisplayName(replaced, 'wait-pr-created')?.id).toBe(
      nodeByDisplayName(old, 'wait-pr-created')?.id,
    );

    expect(await backend.resume(targetFor(old))).toEqual({
      outcome: 'stale',
      detail: expect.stringContaining('was replaced'),
    });
    const untouched = await getWorkflow(namespace, 'ident');
    expect(nodeByDisplayName(untouched, 'wait-pr-created')?.phase).toBe('Running');
    expect(untouched.metadata.annotations?.['resume.workflows.dev/waiting-pr-created']).toBeUndefined();

    // Decided again on the workflow as it is, the resume goes through.
    expect(await backend.resume(targetFor(untouched))).toEqual({ outcome: 'resumed' });
    await waitForSuspendAt(namespace, 'ident', 'wait-ready-for-qa');
  });

  it('does not resume a workflow that changed since the decision', async () => {
    const namespace = await createNamespace('identity');
    await createWorkflow(namespace, playWorkflow('ident-rv', { 'task-id': '702' }));
    const seen = await waitForSuspendAt(namespace, 'ident-rv', 'wait-pr-created');
    await customObjects().patchNamespacedCustomObject(
      {
        ...workflowsApi,
        namespace,
        name: 'ident-rv',
        body: { metadata: { labels: { 'current-stage': 'other' } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(await backend.resume(targetFor(seen))).toEqual({
      outcome: 'stale',
      detail: expect.stringContaining('changed since the decision'),
    });
    expect(nodeByDisplayName(await getWorkflow(namespace, 'ident-rv'), 'wait-pr-created')?.phase).toBe(
      'Running',
    );
  });

  it('does not patch a workflow replaced or changed since the copy the decision saw', async () => {
    const namespace = await createNamespace('identity');
    await createWorkflow(namespace, playWorkflow('ident-patch', { 'task-id': '704' }));
    const old = await waitForSuspendAt(namespace, 'ident-patch', 'wait-pr-created');
    const replaced = await recreate(namespace, 'ident-patch');
    const fromCopy = (workflow: Workflow): ResumeTarget => ({
      ...targetFor(workflow),
      decidedOn: cached(workflow),
    });

    expect(await backend.resume(fromCopy(old))).toEqual({
      outcome: 'stale',
      detail: expect.stringContaining('ident-patch'),
    });
    await customObjects().patchNamespacedCustomObject(
      {
        ...workflowsApi,
        namespace,
        name: 'ident-patch',
        body: { metadata: { labels: { 'current-stage': 'other' } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(await backend.resume(fromCopy(replaced))).toEqual({
      outcome: 'stale',
      detail: expect.stringContaining('ident-patch'),
    });
    const untouched = await getWorkflow(namespace, 'ident-patch');
    expect(nodeByDisplayName(untouched, 'wait-pr-created')?.phase).toBe('Running');
    expect(untouched.metadata.annotations?.['resume.workflows.dev/waiting-pr-created']).toBeUndefined();

    // From a copy of the workflow as it is, the patch goes through.
    expect(await backend.resume(fromCopy(untouched))).toEqual({ outcome: 'resumed' });
    await waitForSuspendAt(namespace, 'ident-patch', 'wait-ready-for-qa');
  });

  it('does not stop a workflow created again under the name of an older duplicate', async () => {
    const namespace = await createNamespace('identity');
    await createWorkflow(namespace, playWorkflow('ident-stop', { 'task-id': '703' }));
    const old = await waitForSuspendAt(namespace, 'ident-stop', 'wait-pr-created');
    const replaced = await recreate(namespace, 'ident-stop');

    // The API server refuses the patch (uid precondition); the error names the call.
    await expect(backend.stop(namespace, 'ident-stop', old.metadata.uid)).rejects.toMatchObject({
      message: expect.stringMatching(/^patch workflows identity-[^ ]+\/ident-stop: 422 Invalid: /),
      cause: { code: 422 },
    });
    expect((await getWorkflow(namespace, 'ident-stop')).spec?.shutdown).toBeUndefined();

    await backend.stop(namespace, 'ident-stop', replaced.metadata.uid);
    expect((await getWorkflow(namespace, 'ident-stop')).spec?.shutdown).toBe('Stop');
  });
});
