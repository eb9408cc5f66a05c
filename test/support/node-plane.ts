// A plane with a real node (hack/plane up DIR --node) for one test file: started before its tests
// and removed after them, or NODE_PLANE_DIR, a node plane kept running between runs. Every helper
// of plane.ts (kubectl, namespaces, the operator's kubeconfig) then works against it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import { kubectlOk, plane, projectRoot, run, usePlaneDir, waitFor, type RunResult } from './plane.js';

export const planeScript = join(projectRoot, 'hack/plane');
/** Bring-up from built binaries takes seconds; a cold cache builds the node's binaries first. */
const UP_TIMEOUT_MS = 40 * 60_000;

export interface NodePlane {
  dir: string;
  /** False when NODE_PLANE_DIR was reused: started before this file and left running after it. */
  owned: boolean;
  /** Seconds `hack/plane up --node` took in this file (0 when reused). */
  upSeconds: number;
}

/** Runs `hack/plane ARGS...` to completion. */
export function planeCommand(args: string[], env: Record<string, string> = {}, timeoutMs = 300_000) {
  return run(planeScript, args, { env, timeoutMs });
}

/**
 * A node plane for the file's tests, started in beforeAll (after `before`, given the directory)
 * and taken down in afterAll (before `after`), unless NODE_PLANE_DIR names one to reuse.
 */
export function nodePlaneForFile(
  hooks: { before?: () => Promise<void>; after?: () => Promise<void> } = {},
): NodePlane {
  const reuse = process.env.NODE_PLANE_DIR;
  const node: NodePlane = { dir: reuse ?? '', owned: !reuse, upSeconds: 0 };
  beforeAll(async () => {
    node.dir ||= mkdtempSync(join(tmpdir(), 'wro-node-plane-'));
    usePlaneDir(node.dir);
    await hooks.before?.();
    const started = Date.now();
    // An owned plane stops itself if this process dies before afterAll.
    const result = await planeCommand(
      ['up', node.dir, '--node'],
      reuse ? {} : { PLANE_OWNER_PID: String(process.pid) },
      UP_TIMEOUT_MS,
    );
    if (result.code !== 0) throw new Error(`hack/plane up ${node.dir} --node failed:\n${result.stderr}`);
    if (!reuse) node.upSeconds = (Date.now() - started) / 1000;
  }, UP_TIMEOUT_MS + 60_000);
  afterAll(async () => {
    if (!reuse && node.dir) {
      const result = await planeCommand(['down', node.dir]);
      if (result.code !== 0) throw new Error(`hack/plane down ${node.dir} failed:\n${result.stderr}`);
      if (process.env.KEEP_PLANE !== '1') rmSync(node.dir, { recursive: true, force: true });
    }
    await hooks.after?.();
    usePlaneDir(undefined);
  }, 300_000);
  return node;
}

/** Runs COMMAND inside the node's namespaces (`hack/plane node DIR COMMAND...`). */
export function inNode(command: string[]): Promise<RunResult> {
  return planeCommand(['node', plane().dir, ...command]);
}

export interface PodState {
  phase?: string;
  ready: boolean;
  restarts: number;
  containerId?: string;
  lastTerminationReason?: string;
  waitingReason?: string;
}

interface PodJson {
  metadata: { name: string; deletionTimestamp?: string };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: {
      ready: boolean;
      restartCount: number;
      containerID?: string;
      state?: { waiting?: { reason?: string } };
      lastState?: { terminated?: { reason?: string } };
    }[];
  };
}

export function podState(pod: PodJson): PodState {
  const container = pod.status?.containerStatuses?.[0];
  return {
    phase: pod.status?.phase,
    ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    restarts: container?.restartCount ?? 0,
    containerId: container?.containerID?.replace(/^containerd:\/\//, ''),
    lastTerminationReason: container?.lastState?.terminated?.reason,
    waitingReason: container?.state?.waiting?.reason,
  };
}

export async function getPods(namespace: string, selector: string): Promise<(PodJson & PodState)[]> {
  const list = JSON.parse(
    await kubectlOk(['-n', namespace, 'get', 'pods', '-l', selector, '-o', 'json']),
  ) as {
    items: PodJson[];
  };
  return list.items.map((pod) => ({ ...pod, ...podState(pod) }));
}

/** Waits until exactly `count` pods match and are Ready (none terminating). */
export function waitForReadyPods(namespace: string, selector: string, count: number, timeoutMs = 120_000) {
  return waitFor(
    `${count} Ready pods ${selector} in ${namespace}`,
    async () => {
      const pods = await getPods(namespace, selector);
      const live = pods.filter((pod) => !pod.metadata.deletionTimestamp);
      return live.length === count && pods.length === count && live.every((pod) => pod.ready)
        ? live
        : undefined;
    },
    { timeoutMs, intervalMs: 250 },
  );
}

/** Sends a signal to a container's process through containerd, as a crash or a hang would. */
export async function signalContainer(containerId: string, signal: 'SIGKILL' | 'SIGSTOP'): Promise<void> {
  const result = await inNode(['ctr', '-n', 'k8s.io', 'tasks', 'kill', '--signal', signal, containerId]);
  if (result.code !== 0) throw new Error(`ctr tasks kill ${signal} ${containerId} failed: ${result.stderr}`);
}
