// The real node (hack/plane up DIR --node): Ready with cluster DNS, pods on it run loaded images
// and never pull one, nothing on it has a route past the plane, a second node on the machine is
// refused, and `hack/plane down` leaves the host as it found it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostState, type HostState } from '../support/node-host.js';
import { inNode, nodePlaneForFile, planeCommand } from '../support/node-plane.js';
import { createNamespace, kubectlOk, plane, run, waitFor } from '../support/plane.js';

let before: HostState;
let during: HostState;
const node = nodePlaneForFile({
  before: async () => {
    before = await hostState(node.dir);
  },
  after: async () => {
    // Runs after `hack/plane down`: every trace the node left while it ran is gone again.
    if (node.owned) expect(await hostState(node.dir)).toEqual(before);
  },
});

let namespace: string;
beforeAll(async () => {
  namespace = await createNamespace('node');
  during = await hostState(node.dir);
});

const env = () => plane().env;
/** A pod as kubectl prints it, read field by field in the assertions. */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A pod of one container; resolves with the pod once `until` holds for its status. */
async function runPod(name: string, container: Json, until: (status: Json) => boolean): Promise<Json> {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { restartPolicy: 'Never', containers: [{ name: 'main', imagePullPolicy: 'Never', ...container }] },
  };
  await kubectlOk(['apply', '-f', '-'], JSON.stringify(pod));
  return waitFor(
    `pod ${name} to reach the expected state`,
    async () => {
      const current = JSON.parse(await kubectlOk(['-n', namespace, 'get', 'pod', name, '-o', 'json']));
      return until(current.status ?? {}) ? current : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 300 },
  );
}

test('the node is Ready, of the plane’s Kubernetes version, on containerd, and DIR/env names it', async () => {
  const nodeObject = JSON.parse(await kubectlOk(['get', 'node', env().NODE_NAME!, '-o', 'json']));
  expect(nodeObject.status.nodeInfo.kubeletVersion).toBe(`v${env().KUBE_VERSION!.replace(/^v/, '')}`);
  expect(nodeObject.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\//);
  expect(nodeObject.status.conditions.find((c: { type: string }) => c.type === 'Ready').status).toBe('True');
  expect(env().STEP_IMAGE).toMatch(/^localhost\//);
  if (node.upSeconds > 0) console.log(`node plane up in ${node.upSeconds.toFixed(1)} s`);
});

// A kept node plane (NODE_PLANE_DIR) was up before this file began: there is no before to compare.
const onOwnNode = process.env.NODE_PLANE_DIR ? test.skip : test;

onOwnNode('while it runs, the node’s link, routes, firewall chains, cgroups and processes are there', () => {
  // The other half of the host check: what `down` must remove was really added.
  expect(during.links.join('\n')).toMatch(/wro-node0/);
  expect(during.routes.join('\n')).toMatch(/unreachable 10\.96\.0\.0\/12/);
  expect(during.firewall.join('\n')).toMatch(/WRO-NODE-INPUT/);
  expect(during.cgroups.length).toBeGreaterThan(0);
  expect(during.processes).toEqual(
    expect.arrayContaining(['containerd', 'coredns', 'kube-proxy', 'kubelet']),
  );
  expect(during.sysctls).not.toEqual(before.sysctls);
});

test('a pod runs the step image and its log is read through the kubelet', async () => {
  const pod = await runPod(
    'echo',
    { image: env().STEP_IMAGE, command: ['/bin/sh', '-c', 'echo hello from $(hostname)'] },
    (status) => status.phase === 'Succeeded' || status.phase === 'Failed',
  );
  expect(pod.status.phase).toBe('Succeeded');
  expect(pod.spec.nodeName).toBe(env().NODE_NAME);
  expect(await kubectlOk(['-n', namespace, 'logs', 'echo'])).toBe('hello from echo\n');
});

test('pods resolve cluster names and reach the API server through the kubernetes Service', async () => {
  const pod = await runPod(
    'dns',
    {
      image: env().STEP_IMAGE,
      command: [
        '/bin/sh',
        '-c',
        'nslookup kubernetes.default.svc.cluster.local && wget -q -O - --no-check-certificate https://kubernetes.default.svc.cluster.local/version',
      ],
    },
    (status) => status.phase === 'Succeeded' || status.phase === 'Failed',
  );
  const log = await kubectlOk(['-n', namespace, 'logs', 'dns']);
  expect({ phase: pod.status.phase, log }).toMatchObject({ phase: 'Succeeded' });
  expect(log).toMatch(/Address:?\s+10\.96\.0\.1/);
  expect(log).toContain(`"gitVersion": "${env().KUBE_VERSION}"`);
});

test('an image that was not loaded is never pulled', async () => {
  const never = await runPod(
    'never',
    { image: 'localhost/not-loaded:1', command: ['/bin/sh'] },
    (status) => status.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImageNeverPull',
  );
  expect(never.status.containerStatuses[0].state.waiting.reason).toBe('ErrImageNeverPull');
  // Even when the pod asks for a pull, containerd's registries are a refused local address.
  const pulled = await runPod(
    'pull',
    { image: 'docker.io/library/busybox:1.36', imagePullPolicy: 'IfNotPresent', command: ['/bin/sh'] },
    (status) =>
      /ErrImagePull|ImagePullBackOff/.test(status.containerStatuses?.[0]?.state?.waiting?.reason ?? ''),
  );
  expect(pulled.status.containerStatuses[0].state.waiting.reason).toMatch(/ErrImagePull|ImagePullBackOff/);
  const events = await kubectlOk([
    '-n',
    namespace,
    'get',
    'events',
    '--field-selector',
    'involvedObject.name=pull',
  ]);
  expect(events).toMatch(/127\.0\.0\.1:9|connection refused|no route|unreachable/i);
});

test('the node has no route past the plane, and the host none into the Service or pod ranges', async () => {
  // Route look-ups only: no packet is sent.
  const routes = await inNode(['ip', 'route', 'show']);
  expect(routes.stdout).not.toMatch(/^default/m);
  const outside = await inNode(['ip', 'route', 'get', '203.0.113.7']);
  expect(outside.code).not.toBe(0);
  expect(outside.stderr).toMatch(/unreachable/i);
  const plane = await inNode(['ip', 'route', 'get', '10.250.78.1']);
  expect(plane.code).toBe(0);
  for (const address of ['10.96.7.7', '10.244.200.1']) {
    const host = await run('ip', ['route', 'get', address]);
    expect(`${address}: ${host.code} ${host.stderr}`).toMatch(
      new RegExp(`${address}: [1-9]\\d* .*(unreachable|no route to host)`, 'i'),
    );
  }
});

test('a second node on the machine is refused, says where the first is, and leaves nothing', async () => {
  const other = mkdtempSync(join(tmpdir(), 'wro-second-node-'));
  try {
    const result = await planeCommand(['up', other, '--node'], {}, 600_000);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`a node is already up on this machine, in ${node.dir}`);
    await planeCommand(['down', other]);
    // The first node still runs.
    const ready = await kubectlOk([
      'get',
      'node',
      env().NODE_NAME!,
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
    ]);
    expect(ready).toBe('True');
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
});
