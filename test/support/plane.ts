// What integration tests need from the local control plane started by global-setup.js.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';

export const projectRoot = resolve(import.meta.dirname, '../..');

export interface Plane {
  dir: string;
  kubeconfigPath: string;
  env: Record<string, string>;
  kubeConfig(): k8s.KubeConfig;
}

/** A plane of the test file's own (a node plane, test/support/node-plane.ts) instead of the run's. */
let ownPlaneDir: string | undefined;

export function usePlaneDir(dir: string | undefined): void {
  ownPlaneDir = dir;
}

/** The running plane; throws the launcher's error when it could not start, so the test fails loudly. */
export function plane(): Plane {
  if (process.env.PLANE_ERROR && !ownPlaneDir)
    throw new Error(`the local control plane did not start:\n${process.env.PLANE_ERROR}`);
  const dir = ownPlaneDir ?? process.env.PLANE_DIR;
  if (!dir) throw new Error('PLANE_DIR is not set: integration tests run under the Jest global setup');
  const env = Object.fromEntries(
    readFileSync(join(dir, 'env'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const kubeconfigPath = join(dir, 'kubeconfig');
  return {
    dir,
    kubeconfigPath,
    env,
    kubeConfig() {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(kubeconfigPath);
      return kc;
    },
  };
}

export interface Pipeline {
  /** Where deliveries go and what they are signed with. */
  webhook: { url: string; secret: string };
  /** Where the Sensor creates ResumeRequests, and so where the plays it resumes live. */
  namespace: string;
  /** The pid of one of the pipeline's processes, from DIR/<name>.pid. */
  pid(name: PipelineProcess): number;
}

export type PipelineProcess = 'nats-server' | 'eventsource' | 'sensor';

/** The plane's Argo Events pipeline (hack/plane up --events); throws when it is not running. */
export function pipeline(): Pipeline {
  const p = plane();
  const { GITHUB_WEBHOOK_URL: url, GITHUB_WEBHOOK_SECRET: secret, EVENTS_NAMESPACE: namespace } = p.env;
  if (!url || !secret || !namespace)
    throw new Error(
      `the plane in ${p.dir} runs no Argo Events pipeline: start it with hack/plane up DIR --events`,
    );
  return {
    webhook: { url, secret },
    namespace,
    pid: (name) => Number(readFileSync(join(p.dir, `${name}.pid`), 'utf8').trim()),
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion without throwing, so tests can assert on failures too. */
export function run(
  file: string,
  args: string[],
  options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const child = execFile(
      file,
      args,
      { env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 60_000, maxBuffer: 32 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** kubectl of the plane's Kubernetes version, as the plane's admin. */
export function kubectl(args: string[], input?: string): Promise<RunResult> {
  const p = plane();
  return run(
    p.env.KUBECTL_BIN!,
    ['--kubeconfig', p.kubeconfigPath, ...args],
    input === undefined ? {} : { input },
  );
}

/** Like kubectl, but throws with stderr when the command fails. */
export async function kubectlOk(args: string[], input?: string): Promise<string> {
  const result = await kubectl(args, input);
  if (result.code !== 0)
    throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

/**
 * A fresh namespace for one test file. The plane runs no namespace controller, so namespaces
 * are never deleted; a random suffix keeps reruns against one PLANE_DIR apart.
 */
export async function createNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kubectlOk(['create', 'namespace', name]);
  return name;
}

/** Thrown by a probe to stop waiting at once: the awaited state can no longer come. */
export class GiveUp extends Error {
  override readonly name = 'GiveUp';
}

/** Polls until `probe` returns a value other than undefined, or fails with the last observation. */
export async function waitFor<T>(
  description: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 30_000, intervalMs = 200 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${description}` +
          (lastError ? `; last error: ${String(lastError)}` : ''),
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
