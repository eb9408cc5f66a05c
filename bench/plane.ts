// The local control plane the benchmark runs on: started by hack/plane in a directory of its own
// (or an existing PLANE_DIR, which is then left running), and always taken down when owned.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { PooledKubeConfig } from '../src/runtime/pooled-kube-config.js';
import { runCommand, runCommandOk } from './command.js';
import type { Deadline } from './deadline.js';
import { paths } from './paths.js';

export interface BenchPlane {
  dir: string;
  /** True when this run started the plane, and so must stop it. */
  owned: boolean;
  /** The plane's admin kubeconfig: the benchmark's own client and `argo resume` use it. */
  kubeconfigPath: string;
  /**
   * The benchmark's own client. Its requests share connections, as a Sensor's do (client-go
   * keeps them alive): with a TLS handshake per call, as client-node would do, the client that
   * creates the ResumeRequests, not the operator, would set the pace at a few calls in flight.
   */
  kubeConfig: k8s.KubeConfig;
  apiserverPort: number;
  argoBin: string;
  kubectlBin: string;
  /** The Argo Events pipeline (hack/plane up --events), when the plane runs one. */
  events?: { namespace: string; webhook: { url: string; secret: string } };
}

function readEnvFile(path: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

function required(env: Record<string, string>, key: string, file: string): string {
  const value = env[key];
  if (!value) throw new Error(`${file} does not set ${key}`);
  return value;
}

/**
 * `hack/plane up DIR` (with `node`, `--node`: a real node beside it; with `events`, `--events`: its
 * Argo Events pipeline); idempotent, so an already
 * running PLANE_DIR is simply reused.
 */
export async function startPlane(
  dir: string,
  owned: boolean,
  deadline: Deadline,
  { node = false, events = false }: { node?: boolean; events?: boolean } = {},
): Promise<BenchPlane> {
  // An owned plane stops itself if this process dies without reaching its clean-up.
  const env = owned ? { ...process.env, PLANE_OWNER_PID: String(process.pid) } : process.env;
  const args = ['up', dir, ...(node ? ['--node'] : []), ...(events ? ['--events'] : [])];
  await deadline.within(
    'hack/plane up',
    runCommandOk(paths.plane, args, { env, timeoutMs: deadline.remainingMs() }),
  );
  const envFile = join(dir, 'env');
  const planeEnv = readEnvFile(envFile);
  const kubeconfigPath = required(planeEnv, 'KUBECONFIG', envFile);
  const kubeConfig = new PooledKubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  return {
    dir,
    owned,
    kubeconfigPath,
    kubeConfig,
    apiserverPort: Number(required(planeEnv, 'APISERVER_PORT', envFile)),
    argoBin: required(planeEnv, 'ARGO_BIN', envFile),
    kubectlBin: required(planeEnv, 'KUBECTL_BIN', envFile),
    ...(planeEnv.GITHUB_WEBHOOK_URL && planeEnv.GITHUB_WEBHOOK_SECRET && planeEnv.EVENTS_NAMESPACE
      ? {
          events: {
            namespace: planeEnv.EVENTS_NAMESPACE,
            webhook: { url: planeEnv.GITHUB_WEBHOOK_URL, secret: planeEnv.GITHUB_WEBHOOK_SECRET },
          },
        }
      : {}),
  };
}

/**
 * Stops an owned plane and, unless `keepFiles`, removes its directory (etcd data, logs).
 * A plane given through PLANE_DIR is left as it was found: running.
 */
export async function stopPlane(dir: string, owned: boolean, keepFiles: boolean): Promise<void> {
  if (!owned) return;
  const result = await runCommand(paths.plane, ['down', dir], { timeoutMs: 90_000 });
  if (result.code !== 0) throw new Error(`hack/plane down ${dir} failed: ${result.stderr}`);
  if (!keepFiles) rmSync(dir, { recursive: true, force: true });
}
