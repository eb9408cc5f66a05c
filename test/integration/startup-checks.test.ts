// A first run against a cluster that cannot run the operator stops at once with exit code 3 and
// one line saying what to fix: the API server unreachable, RBAC missing, a CRD missing, or the
// lease namespace absent.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../bench/free-port.js';
import { checkCustomResource, StartupCheckError } from '../../src/startup-checks.js';
import { createNamespace, kubectlOk, plane, projectRoot, run } from '../support/plane.js';

const mainScript = join(projectRoot, 'dist/operator.mjs');

interface LogLine {
  level: string;
  message: string;
}

/** Runs the operator to its exit; returns the exit code and its log lines. */
async function runOperator(kubeconfig: string, env: Record<string, string> = {}) {
  if (!existsSync(mainScript)) throw new Error(`${mainScript} is missing: run \`make build\` first`);
  const port = await freePort();
  const result = await run(process.execPath, [mainScript], {
    env: { KUBECONFIG: kubeconfig, WRO_LISTEN: `127.0.0.1:${port}`, WRO_LOG_LEVEL: 'info', ...env },
    timeoutMs: 60_000,
  });
  const lines = `${result.stdout}${result.stderr}`
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as LogLine);
  return { code: result.code, lines };
}

function tokenKubeconfig(name: string, server: string, token: string): string {
  const path = join(plane().dir, `${name}-${process.pid}.kubeconfig`);
  const ca = plane().kubeConfig().getCurrentCluster()!.caData!;
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server, 'certificate-authority-data': ca } }],
      users: [{ name: 'u', user: { token } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
    { mode: 0o600 },
  );
  return path;
}

test('an unreachable API server is one line and exit code 3', async () => {
  const server = `https://127.0.0.1:${await freePort()}`;
  const { code, lines } = await runOperator(tokenKubeconfig('unreachable', server, 'x'));
  expect(code).toBe(3);
  expect(lines).toHaveLength(1);
  expect(lines[0]!.level).toBe('error');
  expect(lines[0]!.message).toBe(
    `cannot start: cannot reach the Kubernetes API server at ${server}: ECONNREFUSED: connect ECONNREFUSED ${server.slice(8)}`,
  );
});

test('missing RBAC names the identity and every permission it lacks', async () => {
  const namespace = await createNamespace('norbac');
  await kubectlOk(['-n', namespace, 'create', 'serviceaccount', 'nobody']);
  const token = (await kubectlOk(['-n', namespace, 'create', 'token', 'nobody'])).trim();
  const server = plane().kubeConfig().getCurrentCluster()!.server;
  const { code, lines } = await runOperator(tokenKubeconfig('nobody', server, token), {
    WRO_NAMESPACES: namespace,
  });
  expect(code).toBe(3);
  expect(lines).toHaveLength(1);
  const message = lines[0]!.message;
  expect(message).toMatch(new RegExp(`^cannot start: system:serviceaccount:${namespace}:nobody may not `));
  for (const permission of [
    `list resumerequests.resume.workflows.dev in ${namespace}`,
    `patch resumerequests.resume.workflows.dev/status in ${namespace}`,
    `update workflows.argoproj.io in ${namespace}`,
    `patch workflows.argoproj.io in ${namespace}`,
    `create events in ${namespace}`,
    'create leases.coordination.k8s.io in workflow-resume-system',
  ]) {
    expect(message).toContain(permission);
  }
  expect(message).toContain('kubectl apply -k config/rbac');
});

test('a missing lease namespace says what to create', async () => {
  // The admin may do anything, so only the namespace is missing.
  const { code, lines } = await runOperator(plane().kubeconfigPath, {
    WRO_LEASE_NAMESPACE: 'no-such-namespace',
  });
  expect(code).toBe(3);
  expect(lines).toHaveLength(1);
  expect(lines[0]!.message).toBe(
    'cannot start: the lease namespace no-such-namespace does not exist: create it (kubectl create namespace no-such-namespace) or choose an existing one with --lease-namespace=NAME (WRO_LEASE_NAMESPACE)',
  );
});

test('a missing CRD says what to install', async () => {
  const check = checkCustomResource(
    plane().kubeConfig(),
    { group: 'missing.example.com', version: 'v1', plural: 'widgets', install: 'install widgets' },
    undefined,
  );
  await expect(check).rejects.toBeInstanceOf(StartupCheckError);
  await expect(check).rejects.toThrow(
    'the CustomResourceDefinition widgets.missing.example.com (v1) is not installed: install widgets',
  );
});
