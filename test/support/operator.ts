// Runs the built operator (dist/operator.mjs) as a child process against the plane, authenticated
// as its ServiceAccount under the shipped RBAC (config/rbac), never as admin.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import { freePort } from '../../bench/free-port.js';
import { OPERATOR_NODE_ENV, OPERATOR_NODE_FLAGS } from '../../src/node-flags.js';
import { createNamespace, GiveUp, plane, projectRoot, run, waitFor } from './plane.js';

const mainScript = join(projectRoot, 'dist/operator.mjs');
let operatorKubeconfig: string | undefined;
const started = new Set<RunningOperator>();
/**
 * The tests' leader election: short, so that failovers are quick, but with a renew deadline a
 * loaded 2-core machine meets (a 3-s deadline was missed there, and the leader exited mid-test).
 */
export const TEST_LEASE_DURATION_MS = 8000;

/** Kills every operator this test file started and has not stopped, so none outlives it. */
export async function stopAllOperators(): Promise<void> {
  await Promise.all([...started].map((operator) => operator.kill()));
}

/** The operator's kubeconfig: a ServiceAccount token bound by config/rbac, made once per run. */
export async function operatorKubeconfigPath(): Promise<string> {
  if (operatorKubeconfig) return operatorKubeconfig;
  const p = plane();
  const path = join(p.dir, `operator-${process.pid}.kubeconfig`);
  const result = await run(join(projectRoot, 'hack/operator-kubeconfig'), [p.dir, path]);
  if (result.code !== 0) throw new Error(`hack/operator-kubeconfig failed: ${result.stderr}`);
  operatorKubeconfig = path;
  return path;
}

export interface RunningOperator {
  name: string;
  port: number;
  process: ChildProcess;
  logFile: string;
  logs(): string;
  exited: Promise<number | null>;
  metrics(): Promise<string>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  kill(): Promise<number | null>;
}

/**
 * Another build or deployment of the operator: `script` (a bundle, as of an earlier release), its
 * `args` (as a Deployment passes them), a `kubeconfig` (another ServiceAccount's), and none of
 * the test defaults below.
 */
export interface OperatorAs {
  script: string;
  args: string[];
  kubeconfig: string;
}

/**
 * Starts an operator watching `namespace`. Settings default to fast retries so tests finish
 * quickly; `env` overrides any WRO_* setting. With `as`, it runs that build with those flags and
 * credentials instead, listening where the test can scrape it.
 */
export async function startOperator(
  name: string,
  namespace: string,
  env: Record<string, string> = {},
  as?: OperatorAs,
): Promise<RunningOperator> {
  const script = as?.script ?? mainScript;
  if (!existsSync(script)) throw new Error(`${script} is missing: run \`make build\` (make test does) first`);
  const kubeconfig = as?.kubeconfig ?? (await operatorKubeconfigPath());
  const port = await freePort();
  const logFile = join(plane().dir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const defaults = as
    ? { WRO_IDENTITY: name }
    : {
        WRO_NAMESPACES: namespace,
        WRO_IDENTITY: name,
        WRO_LEASE_NAME: `operator-${namespace}`,
        WRO_LOG_LEVEL: 'debug',
        WRO_RETRY_INITIAL_DELAY_MS: '300',
        WRO_RETRY_MAX_DELAY_MS: '2000',
        WRO_LEASE_DURATION_MS: String(TEST_LEASE_DURATION_MS),
        WRO_RENEW_DEADLINE_MS: String(TEST_LEASE_DURATION_MS - 2000),
        WRO_RETRY_PERIOD_MS: '500',
        WRO_WATCH_TIMEOUT_SECONDS: '20',
      };
  const args = as
    ? [...as.args.filter((arg) => !arg.startsWith('--listen=')), `--listen=127.0.0.1:${port}`]
    : [];
  const child = spawn(process.execPath, [...OPERATOR_NODE_FLAGS, script, ...args], {
    env: {
      PATH: process.env.PATH,
      ...OPERATOR_NODE_ENV,
      KUBECONFIG: kubeconfig,
      WRO_LISTEN: `127.0.0.1:${port}`,
      ...defaults,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const operator: RunningOperator = {
    name,
    port,
    process: child,
    logFile,
    logs: () => readFileSync(logFile, 'utf8'),
    exited,
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
  started.add(operator);
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
    started.delete(operator);
  });
  await waitFor(
    `operator ${name} to answer /healthz`,
    async () => {
      if (exitCode !== undefined)
        throw new Error(`operator ${name} exited with ${exitCode}:\n${operator.logs().slice(-3000)}`);
      const response = await fetch(`${url}/healthz`).catch(() => undefined);
      return response?.ok ? true : undefined;
    },
    { timeoutMs: 20_000 },
  );
  return operator;
}

/** Waits until `operator` is the leader and its caches are synced; fails at once, with its log, if it exits. */
export function waitUntilLeading(operator: RunningOperator, timeoutMs = 60_000): Promise<true> {
  return waitFor(
    `operator ${operator.name} to lead with synced caches`,
    async () => {
      if (operator.process.exitCode !== null || operator.process.signalCode !== null)
        throw new GiveUp(
          `operator ${operator.name} exited (${operator.process.exitCode ?? operator.process.signalCode}):\n${operator.logs().slice(-3000)}`,
        );
      const metrics = await operator.metrics();
      const ready = await fetch(`http://127.0.0.1:${operator.port}/readyz`);
      return /^workflow_resume_leader 1$/m.test(metrics) && ready.ok ? true : undefined;
    },
    { timeoutMs },
  );
}

export interface OperatorForFile {
  namespace: string;
  operator: RunningOperator;
}

/**
 * A fresh namespace and an operator leading in it for every test of the file, stopped after
 * them. The fields are filled in beforeAll; `prepare` runs first (slow one-time set-up), and
 * `env` overrides the operator's settings. `namespace` names an existing namespace instead (the
 * pipeline's, where its Sensor creates requests); test files run one at a time, so one operator
 * at a time watches it.
 */
export function operatorForFile(
  prefix: string,
  {
    prepare,
    env = {},
    namespace,
  }: { prepare?: () => Promise<void>; env?: Record<string, string>; namespace?: () => string } = {},
): OperatorForFile {
  const holder = {} as OperatorForFile;
  beforeAll(async () => {
    await prepare?.();
    holder.namespace = namespace ? namespace() : await createNamespace(prefix);
    holder.operator = await startOperator(`${prefix}-${holder.namespace}`, holder.namespace, env);
    await waitUntilLeading(holder.operator);
  }, 30 * 60_000);
  afterAll(async () => {
    await holder.operator?.stop();
  });
  return holder;
}

/**
 * A fresh namespace and an operator leading in it whose domain configuration overrides `domain`
 * (written to a file in the plane's folder, as a ConfigMap would be mounted); stop it when done.
 * `prepare` runs in the namespace before the operator starts.
 */
export async function operatorWithDomainConfig(
  prefix: string,
  domain: Record<string, unknown>,
  {
    env = {},
    prepare,
  }: { env?: Record<string, string>; prepare?: (namespace: string) => Promise<void> } = {},
): Promise<OperatorForFile> {
  const namespace = await createNamespace(prefix);
  await prepare?.(namespace);
  const configFile = join(plane().dir, `domain-config-${namespace}.json`);
  writeFileSync(configFile, JSON.stringify(domain));
  const operator = await startOperator(`${prefix}-${namespace}`, namespace, {
    WRO_DOMAIN_CONFIG_FILE: configFile,
    ...env,
  });
  await waitUntilLeading(operator);
  return { namespace, operator };
}
