// The built operator (dist/operator.mjs) as a child process, authenticated as its ServiceAccount
// under the shipped RBAC (hack/operator-kubeconfig), never as admin, and talking to the
// apiserver directly or, when requests are being counted, through the counting proxy. Settings
// are the operator's defaults except for what places it on this plane, so the figures are those
// of a stock deployment.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { OPERATOR_NODE_ENV, OPERATOR_NODE_FLAGS } from '../src/node-flags.js';
import { runCommandOk } from './command.js';
import { freePort } from './free-port.js';
import type { Deadline } from './deadline.js';
import { paths } from './paths.js';
import type { BenchPlane } from './plane.js';

export interface OperatorProcess {
  pid: number;
  /** performance.now() when the process was spawned. */
  startedAtMs: number;
  logFile: string;
  /** The text of its /metrics. */
  metrics(): Promise<string>;
  /** Whether the process is still running. */
  readonly alive: boolean;
  /** Resolves once this replica holds the lease and its caches are synced. */
  waitUntilLeading(deadline: Deadline): Promise<void>;
  logTail(lines?: number): string;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * The ServiceAccount kubeconfig; with `apiPort`, pointed at that loopback port (the counting
 * proxy) instead of the apiserver.
 */
async function operatorKubeconfig(
  plane: BenchPlane,
  namespace: string,
  apiPort: number | undefined,
  deadline: Deadline,
): Promise<string> {
  const path = join(plane.dir, `bench-operator-${namespace}.kubeconfig`);
  await deadline.within(
    'hack/operator-kubeconfig',
    runCommandOk(paths.operatorKubeconfig, [plane.dir, path], { timeoutMs: deadline.remainingMs() }),
  );
  if (apiPort === undefined) return path;
  const direct = `https://127.0.0.1:${plane.apiserverPort}"`;
  const text = readFileSync(path, 'utf8');
  if (!text.includes(direct)) throw new Error(`${path} does not name the apiserver as ${direct}`);
  writeFileSync(path, text.replace(direct, `https://127.0.0.1:${apiPort}"`), { mode: 0o600 });
  return path;
}

export async function startOperatorProcess(options: {
  plane: BenchPlane;
  /** The namespaces it watches; the first names its files and its lease. */
  namespaces: readonly string[];
  /** Where the operator reaches the API; the apiserver itself when absent. */
  apiPort?: number;
  /** Names this replica (identity and log file), so several can share one lease. */
  name?: string;
  /** Settings added to (or overriding) the stock ones. */
  env?: Record<string, string>;
  deadline: Deadline;
}): Promise<OperatorProcess> {
  const { plane, namespaces, deadline } = options;
  const namespace = namespaces[0]!;
  if (!existsSync(paths.operatorMain)) {
    throw new Error(`${paths.operatorMain} is missing: run \`make bench\`, which builds it first`);
  }
  const kubeconfig = await operatorKubeconfig(plane, namespace, options.apiPort, deadline);
  const port = await freePort();
  const name = options.name ?? `bench-operator-${namespace}`;
  const logFile = join(plane.dir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const startedAtMs = performance.now();
  // BENCH_CPU_PROFILE_DIR: each operator writes a V8 CPU profile there when it stops.
  const profileDir = process.env.BENCH_CPU_PROFILE_DIR;
  const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  // BENCH_OPERATOR_NODE_FLAGS: Node or V8 flags added after the shipped ones, to measure a change.
  const extra = (process.env.BENCH_OPERATOR_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(
    process.execPath,
    [...OPERATOR_NODE_FLAGS, ...extra, ...profiling, paths.operatorMain],
    {
      env: {
        PATH: process.env.PATH,
        ...OPERATOR_NODE_ENV,
        KUBECONFIG: kubeconfig,
        WRO_NAMESPACES: namespaces.join(','),
        WRO_LISTEN: `127.0.0.1:${port}`,
        WRO_IDENTITY: options.name ?? `bench-${process.pid}`,
        // A lease of its own, so a lease left by an earlier run on a reused plane is not waited out.
        WRO_LEASE_NAME: `bench-${namespace}`,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  // However this process ends, the operator must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      process.removeListener('exit', killOnExit);
      resolve(code);
    }),
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${paths.operatorMain}`);
  const url = `http://127.0.0.1:${port}`;
  const logTail = (lines = 30) => {
    const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  };

  const ready = async (): Promise<boolean> => {
    const response = await fetch(`${url}/readyz`);
    await response.arrayBuffer();
    return response.ok;
  };
  // /metrics only once /readyz answers: a scrape at every poll while the caches fill cost the
  // operator a twentieth of its CPU time to ready, which is what the scale profile measures. A
  // follower is ready too, so /readyz is asked again after the scrape has shown the lead.
  const leading = async (): Promise<boolean> => {
    if (!(await ready())) return false;
    const metrics = await fetch(`${url}/metrics`).then((response) => response.text());
    return /^workflow_resume_leader 1$/m.test(metrics) && (await ready());
  };

  return {
    pid,
    startedAtMs,
    logFile,
    logTail,
    metrics: () => fetch(`${url}/metrics`).then((response) => response.text()),
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    // Start-up has no event to wait on, so this one wait polls, briefly, within the deadline.
    async waitUntilLeading(deadline) {
      const poll = async () => {
        while (deadline.remainingMs() > 0) {
          if (child.exitCode !== null) {
            throw new Error(`the operator exited with ${child.exitCode} while starting:\n${logTail()}`);
          }
          if (await leading().catch(() => false)) return;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      };
      await deadline.within('the operator to lead with synced caches', poll());
    },
    async stop(graceMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      log.end();
    },
  };
}
