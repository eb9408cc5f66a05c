// The local control plane is real: a kube-apiserver with etcd that enforces optimistic locking,
// watches and RBAC, and the real Argo workflow-controller advancing suspend-only workflows.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { createNamespace, kubectlOk, plane, projectRoot, run, waitFor } from '../support/plane.js';
import {
  STAGE_NODES,
  createWorkflow,
  customObjects,
  getWorkflow,
  nodeByDisplayName,
  playWorkflow,
  waitForSuspendAt,
  waitForWorkflowPhase,
} from '../support/workflows.js';

const rr = { group: 'resume.workflows.dev', version: 'v1alpha1', plural: 'resumerequests' } as const;
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

let namespace: string;

beforeAll(async () => {
  namespace = await createNamespace('plane');
});

describe('kube-apiserver and etcd', () => {
  it('serves the ResumeRequest CRD with a status subresource, optimistic locking and watches', async () => {
    const api = customObjects();
    const events: string[] = [];
    const watch = new k8s.Watch(plane().kubeConfig());
    // Watching from a listed resourceVersion guarantees every later change is delivered, however
    // soon after the watch call the object is created.
    const listed = (await api.listNamespacedCustomObject({ ...rr, namespace })) as {
      metadata: { resourceVersion: string };
    };
    const abort = await watch.watch(
      `/apis/${rr.group}/${rr.version}/namespaces/${namespace}/${rr.plural}`,
      { resourceVersion: listed.metadata.resourceVersion },
      (type, object: { metadata: { name: string } }) => events.push(`${type} ${object.metadata.name}`),
      () => {},
    );
    try {
      const created = (await api.createNamespacedCustomObject({
        ...rr,
        namespace,
        body: {
          apiVersion: `${rr.group}/${rr.version}`,
          kind: 'ResumeRequest',
          metadata: { name: 'locking' },
          spec: { taskId: '42', eventType: 'pr-created' },
        },
      })) as { metadata: { resourceVersion: string } };
      const stale = created.metadata.resourceVersion;
      await api.patchNamespacedCustomObjectStatus(
        {
          ...rr,
          namespace,
          name: 'locking',
          body: { metadata: { resourceVersion: stale }, status: { phase: 'Pending' } },
        },
        mergePatch,
      );
      await expect(
        api.patchNamespacedCustomObjectStatus(
          {
            ...rr,
            namespace,
            name: 'locking',
            body: { metadata: { resourceVersion: stale }, status: { phase: 'Waiting' } },
          },
          mergePatch,
        ),
      ).rejects.toMatchObject({ code: 409 });
      const current = (await api.getNamespacedCustomObject({ ...rr, namespace, name: 'locking' })) as {
        status: { phase: string };
      };
      expect(current.status.phase).toBe('Pending');
      await api.deleteNamespacedCustomObject({ ...rr, namespace, name: 'locking' });
      await waitFor('ADDED, MODIFIED and DELETED from the watch', async () =>
        events.includes('DELETED locking') ? true : undefined,
      );
      expect(events).toEqual(['ADDED locking', 'MODIFIED locking', 'DELETED locking']);
    } finally {
      abort.abort();
    }
  });

  it('enforces RBAC: a ServiceAccount with no role is forbidden from reading workflows', async () => {
    await kubectlOk(['-n', namespace, 'create', 'serviceaccount', 'nobody']);
    const token = (await kubectlOk(['-n', namespace, 'create', 'token', 'nobody'])).trim();
    const p = plane();
    const cluster = p.kubeConfig().getCurrentCluster()!;
    // A kubeconfig of its own: the admin one carries a client certificate, which would win over the token.
    const result = await run(p.env.KUBECTL_BIN!, [
      '--kubeconfig=/dev/null',
      `--server=${cluster.server}`,
      `--certificate-authority=${p.dir}/pki/ca.crt`,
      `--token=${token}`,
      '-n',
      namespace,
      'get',
      'workflows',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Forbidden');
    expect(result.stderr).toContain(`system:serviceaccount:${namespace}:nobody`);
  });
});

describe('the Argo workflow-controller', () => {
  it('advances a play workflow when each suspend node is marked Succeeded', async () => {
    const api = customObjects();
    await createWorkflow(namespace, playWorkflow('by-patch'));
    for (const stage of STAGE_NODES) {
      const workflow = await waitForSuspendAt(namespace, 'by-patch', stage);
      expect(workflow.status?.phase).toBe('Running');
      const node = nodeByDisplayName(workflow, stage)!;
      await api.patchNamespacedCustomObject(
        {
          group: 'argoproj.io',
          version: 'v1alpha1',
          plural: 'workflows',
          namespace,
          name: 'by-patch',
          body: {
            metadata: { resourceVersion: workflow.metadata.resourceVersion },
            status: { nodes: { [node.id]: { phase: 'Succeeded', finishedAt: new Date().toISOString() } } },
          },
        },
        mergePatch,
      );
    }
    const done = await waitForWorkflowPhase(namespace, 'by-patch', 'Succeeded');
    for (const stage of STAGE_NODES) expect(nodeByDisplayName(done, stage)?.phase).toBe('Succeeded');
  });

  it('advances a play workflow resumed by the argo CLI', async () => {
    const p = plane();
    await createWorkflow(namespace, playWorkflow('by-cli'));
    for (const stage of STAGE_NODES) {
      await waitForSuspendAt(namespace, 'by-cli', stage);
      const result = await run(p.env.ARGO_BIN!, [
        '--kubeconfig',
        p.kubeconfigPath,
        '-n',
        namespace,
        'resume',
        'by-cli',
      ]);
      if (result.code !== 0) throw new Error(`argo resume failed: ${result.stderr}`);
      expect(result.stdout).toContain('workflow by-cli resumed');
    }
    const done = await waitForWorkflowPhase(namespace, 'by-cli', 'Succeeded');
    expect(Object.values(done.status?.nodes ?? {}).filter((node) => node.type === 'Suspend')).toHaveLength(3);
    expect((await getWorkflow(namespace, 'by-cli')).status?.phase).toBe('Succeeded');
  });
});

describe('hack/plane', () => {
  const isAlive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('starts a second, independent plane and `down` leaves none of its processes running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wro-plane-lifecycle-'));
    const script = join(projectRoot, 'hack/plane');
    const up = await run(script, ['up', dir], { timeoutMs: 180_000 });
    if (up.code !== 0) throw new Error(`hack/plane up failed:\n${up.stderr}`);
    const pids = ['etcd', 'apiserver', 'controller'].map((name) =>
      Number(readFileSync(join(dir, `${name}.pid`), 'utf8')),
    );
    expect(pids.every(isAlive)).toBe(true);
    const crds = await run(script, ['kubectl', dir, 'get', 'crd', '-o', 'name']);
    expect(crds.stdout).toContain('resumerequests.resume.workflows.dev');
    expect(crds.stdout).toContain('workflows.argoproj.io');
    expect(crds.stdout).toContain('sensors.argoproj.io');

    const down = await run(script, ['down', dir]);
    expect(down.code).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });
});
