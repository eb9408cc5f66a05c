// Upgrading from the previous release to this tree, as cert-manager tests its upgrades: install
// the release recorded in hack/release/releases, built from its own commit (hack/release/previous),
// put requests in flight (one waiting for its stage, one held at an approval gate, one retrying
// against a failing API), upgrade, and check that each completes exactly once and that new ones
// work. Once with Helm (the chart of that release, then this chart, which takes the CRD over as a
// template that survives uninstall) and once with `kubectl apply -k config/default`.
//
// The plane has no node, so the operator runs as local processes, each release's own bundle with
// the flags and environment of the Deployment that release's install made, under the
// ServiceAccount token and RBAC that install made. A rollout is played as Kubernetes plays one:
// a new replica starts, an old one stops, twice. test/node/upgrade.test.ts upgrades the chart's
// pods on a real node (root); this file needs neither.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartDir, helm } from '../support/helm.js';
import { startOperator, type RunningOperator } from '../support/operator.js';
import { createNamespace, kubectl, kubectlOk, plane, projectRoot, waitFor } from '../support/plane.js';
import { getResumeRequest } from '../support/resume-requests.js';
import {
  CRD,
  currentVersion,
  expectEachCompletedOnce,
  installedCrd,
  previousRelease,
  putRequestsInFlight,
  shippedCrdFields,
  type PreviousRelease,
  upgradeChartValues,
  upgradeFlags,
} from '../support/upgrade.js';

const currentBundle = join(projectRoot, 'dist/operator.mjs');

/** A kubeconfig for a ServiceAccount of an install: the operator runs with exactly its RBAC. */
async function serviceAccountKubeconfig(namespace: string, account: string): Promise<string> {
  const token = (
    await kubectlOk(['-n', namespace, 'create', 'token', account, '--duration', '3600s'])
  ).trim();
  const server = await kubectlOk(['config', 'view', '--raw', '-o', 'jsonpath={.clusters[0].cluster.server}']);
  const ca = await kubectlOk([
    'config',
    'view',
    '--raw',
    '-o',
    'jsonpath={.clusters[0].cluster.certificate-authority-data}',
  ]);
  const path = join(plane().dir, `upgrade-${namespace}-${account}.kubeconfig`);
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'plane', cluster: { server, 'certificate-authority-data': ca } }],
      users: [{ name: account, user: { token } }],
      contexts: [{ name: account, context: { cluster: 'plane', user: account } }],
      'current-context': account,
    }),
    { mode: 0o600 },
  );
  return path;
}

interface Install {
  /** Where the Deployment, its ServiceAccount and the Lease live. */
  namespace: string;
  deployment: string;
  serviceAccount: string;
}

/** Starts one replica of what the install's Deployment runs: `bundle` with the Deployment's args. */
async function replica(
  install: Install,
  bundle: string,
  name: string,
  watched: string,
  extraArgs: string[] = [],
) {
  const deployment = JSON.parse(
    await kubectlOk(['-n', install.namespace, 'get', 'deployment', install.deployment, '-o', 'json']),
  ) as { spec: { template: { spec: { containers: Array<{ args?: string[] }> } } } };
  const args = [...(deployment.spec.template.spec.containers[0]!.args ?? []), ...extraArgs];
  return startOperator(
    name,
    watched,
    // The Deployment sets these two from the pod.
    { WRO_LEASE_NAMESPACE: install.namespace, WRO_IDENTITY: name },
    {
      script: bundle,
      args,
      kubeconfig: await serviceAccountKubeconfig(install.namespace, install.serviceAccount),
    },
  );
}

const isLeading = async (operator: RunningOperator) =>
  /^workflow_resume_leader 1$/m.test(await operator.metrics().catch(() => ''));

function leaderOf(operators: RunningOperator[], timeoutMs = 60_000): Promise<RunningOperator> {
  return waitFor(
    `one of ${operators.map((o) => o.name).join(', ')} to lead`,
    async () => {
      for (const operator of operators) if (await isLeading(operator)) return operator;
      return undefined;
    },
    { timeoutMs },
  );
}

/**
 * Requests in flight under the old release, the rollout, and what must hold after it. `upgrade`
 * applies the new release; `watchArgs` scopes replicas of an install that watches every namespace.
 */
async function acrossUpgrade(options: {
  install: Install;
  previousBundle: string;
  namespace: string;
  upgrade: () => Promise<void>;
  watchArgs: string[];
}): Promise<void> {
  const { install, namespace, watchArgs } = options;
  const old = [
    await replica(install, options.previousBundle, `old-a-${namespace}`, namespace, watchArgs),
    await replica(install, options.previousBundle, `old-b-${namespace}`, namespace, watchArgs),
  ];
  try {
    await leaderOf(old);
    const webhook = await putRequestsInFlight(
      namespace,
      `system:serviceaccount:${install.namespace}:${install.serviceAccount}`,
    );
    try {
      // The upgrade, and a rollout: a new replica starts, an old one stops, twice.
      await options.upgrade();
      const fresh = [await replica(install, currentBundle, `new-a-${namespace}`, namespace, watchArgs)];
      await old[0]!.stop();
      fresh.push(await replica(install, currentBundle, `new-b-${namespace}`, namespace, watchArgs));
      await old[1]!.stop();
      await leaderOf(fresh);
      await expectEachCompletedOnce(namespace, webhook);
    } finally {
      await webhook.close();
    }
  } finally {
    await Promise.all(old.map((operator) => operator.kill()));
  }
}

let previous: PreviousRelease;
beforeAll(async () => {
  previous = await previousRelease();
}, 900_000);

test('with Helm: the previous chart, then this one, with requests in flight; the CRD outlives the release', async () => {
  const namespace = await createNamespace('upgrade-helm');
  const system = await createNamespace('upgrade-helm-system');
  // Cluster-scoped objects are named after the release: a name of its own per run.
  const release = `up-${system.slice(-6)}`;
  const install: Install = {
    namespace: system,
    deployment: `${release}-workflow-resume-operator`,
    serviceAccount: `${release}-workflow-resume-operator`,
  };
  // The previous chart installs the CRD it ships, as on a cluster that never had one. (Requests
  // left by earlier test files go with it; each file uses namespaces of its own.)
  await kubectlOk(['delete', 'crd', CRD, '--wait', '--timeout=120s']);
  // A failed run must not leave the release's cluster-scoped objects to the next one.
  try {
    await helm([
      'install',
      release,
      join(previous.dir, 'charts/workflow-resume-operator'),
      '-n',
      system,
      '--set',
      `watchNamespaces={${namespace}}`,
      ...upgradeChartValues(),
    ]);
    await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', `crd/${CRD}`]);
    expect((await installedCrd()).fields).toEqual(shippedCrdFields(previous.dir));

    await acrossUpgrade({
      install,
      previousBundle: join(previous.dir, 'dist/operator.mjs'),
      namespace,
      watchArgs: [],
      // The CRD the previous chart installed from crds/ is not the release's: this chart takes it
      // over as a template (docs/operations.md, upgrading with Helm).
      upgrade: async () => {
        await helm([
          'upgrade',
          release,
          chartDir,
          '-n',
          system,
          '--take-ownership',
          '--reset-then-reuse-values',
        ]);
        expect((await installedCrd()).fields).toEqual(shippedCrdFields());
      },
    });

    const listed = JSON.parse(await helm(['list', '-n', system, '-o', 'json'])) as Array<{ chart: string }>;
    expect(listed.map((entry) => entry.chart)).toEqual([`workflow-resume-operator-${currentVersion()}`]);
    await helm(['uninstall', release, '-n', system, '--wait']);
    expect((await installedCrd()).annotations['helm.sh/resource-policy']).toBe('keep');
    expect((await getResumeRequest(namespace, 'u1-approved'))?.status?.phase).toBe('Succeeded');
    expect((await kubectl(['-n', system, 'get', 'deployment', install.deployment])).code).not.toBe(0);
  } finally {
    await helm(['uninstall', release, '-n', system]).catch(() => undefined);
  }
}, 900_000);

test('with kubectl apply -k: the previous config/default, then this one, with requests in flight', async () => {
  const namespace = await createNamespace('upgrade-kustomize');
  const install: Install = {
    namespace: 'workflow-resume-system',
    deployment: 'workflow-resume-operator',
    serviceAccount: 'workflow-resume-operator',
  };
  await kubectlOk(['apply', '-k', join(previous.dir, 'config/default')]);
  try {
    expect((await installedCrd()).fields).toEqual(shippedCrdFields(previous.dir));
    await acrossUpgrade({
      install,
      previousBundle: join(previous.dir, 'dist/operator.mjs'),
      namespace,
      // config/default watches every namespace; on a plane shared with other test files the
      // replicas are kept to this test's namespace, which changes nothing else they do.
      watchArgs: [`--namespaces=${namespace}`, ...upgradeFlags()],
      upgrade: async () => {
        await kubectlOk(['apply', '-k', join(projectRoot, 'config/default')]);
        expect((await installedCrd()).fields).toEqual(shippedCrdFields());
      },
    });
  } finally {
    // Whatever happened, the plane keeps this tree's CRD and RBAC for the test files after this one.
    await kubectlOk(['apply', '-k', join(projectRoot, 'config/default')]);
  }
}, 900_000);
