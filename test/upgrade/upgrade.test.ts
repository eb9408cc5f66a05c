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
// a new replica starts, an old one stops, twice.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ResumeRequestSpec } from '../../src/api/resume-request.js';
import { startFaultWebhook } from '../support/fault-webhook.js';
import { startOperator, type RunningOperator } from '../support/operator.js';
import { createNamespace, kubectl, kubectlOk, plane, projectRoot, run, waitFor } from '../support/plane.js';
import {
  createResumeRequest,
  getResumeRequest,
  githubFacts,
  markerOf,
  waitForPhase,
} from '../support/resume-requests.js';
import {
  createWorkflow,
  getWorkflow,
  playWorkflow,
  waitForSuspendAt,
  waitForWorkflowPhase,
} from '../support/workflows.js';

const CRD = 'resumerequests.resume.workflows.dev';
const helmTool = join(projectRoot, 'hack/tool');
const chart = join(projectRoot, 'charts/workflow-resume-operator');
const currentBundle = join(projectRoot, 'dist/operator.mjs');

/** The previous release's sources and bundle; fails with the script's message (a shallow clone, say). */
async function previousRelease(): Promise<{ version: string; dir: string }> {
  const script = join(projectRoot, 'hack/release/previous');
  const built = await run(script, [], { timeoutMs: 900_000 });
  if (built.code !== 0) throw new Error(`hack/release/previous failed:\n${built.stderr}`);
  const version = (await promisify(execFile)(script, ['version'])).stdout.trim();
  return { version, dir: built.stdout.trim() };
}

async function helm(args: string[]): Promise<string> {
  const result = await run(helmTool, ['helm', '--kubeconfig', plane().kubeconfigPath, ...args], {
    timeoutMs: 900_000,
  });
  if (result.code !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

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

const approval = (taskId: string, reviewer: string): ResumeRequestSpec => ({
  taskId,
  eventType: 'pr-approved',
  repository: 'acme-org/widgets',
  github: githubFacts('pull_request_review', 'submitted', { reviewState: 'approved', sender: reviewer }),
});

/**
 * Requests in flight under the old release, the rollout, and what must hold after it. `upgrade`
 * applies the new release; `watchArgs` scopes replicas of an install that watches every namespace.
 */
async function acrossUpgrade(options: {
  install: Install;
  newInstall: Install;
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
  await leaderOf(old);
  const webhook = await startFaultWebhook(
    namespace,
    `system:serviceaccount:${install.namespace}:${install.serviceAccount}`,
  );
  try {
    // Waiting: an event for a stage its workflow has not reached.
    await createWorkflow(namespace, playWorkflow('waits', { 'task-id': 'u1' }));
    await waitForSuspendAt(namespace, 'waits', 'wait-pr-created');
    await createResumeRequest(namespace, 'u1-ready', { taskId: 'u1', eventType: 'pr-labeled-ready' });
    expect((await waitForPhase(namespace, 'u1-ready', 'Waiting')).status?.reason).toBe('StageNotReached');

    // Gated: one approval of the two the workflow asks for.
    const gated = playWorkflow('gated', { 'task-id': 'u2' });
    gated.metadata.annotations = { 'resume.workflows.dev/required-approvals': '2' };
    await createWorkflow(namespace, gated);
    await waitForSuspendAt(namespace, 'gated', 'wait-pr-created');
    await createResumeRequest(namespace, 'u2-created', { taskId: 'u2', eventType: 'pr-created' });
    await waitForSuspendAt(namespace, 'gated', 'wait-ready-for-qa');
    await createResumeRequest(namespace, 'u2-ready', { taskId: 'u2', eventType: 'pr-labeled-ready' });
    await waitForSuspendAt(namespace, 'gated', 'wait-pr-approved');
    await createResumeRequest(namespace, 'u2-alice', approval('u2', 'alice'));
    expect((await waitForPhase(namespace, 'u2-alice', 'Waiting')).status?.reason).toBe('ApprovalsPending');

    // Retrying: the API server refuses the operator's writes to this workflow.
    await createWorkflow(namespace, playWorkflow('retries', { 'task-id': 'u3', 'fault-injection': 'on' }));
    await waitForSuspendAt(namespace, 'retries', 'wait-pr-created');
    webhook.failing = true;
    await createResumeRequest(namespace, 'u3-created', { taskId: 'u3', eventType: 'pr-created' });
    await waitFor('u3-created to be retrying', async () => {
      const status = (await getResumeRequest(namespace, 'u3-created'))?.status;
      return status?.phase === 'Resuming' && status.reason === 'RetryScheduled' ? true : undefined;
    });

    // The upgrade, and a rollout: a new replica starts, an old one stops, twice.
    await options.upgrade();
    const fresh = [
      await replica(options.newInstall, currentBundle, `new-a-${namespace}`, namespace, watchArgs),
    ];
    await old[0]!.stop();
    fresh.push(await replica(options.newInstall, currentBundle, `new-b-${namespace}`, namespace, watchArgs));
    await old[1]!.stop();
    await leaderOf(fresh);

    // The new CRD is in place: a field this release added is stored, not pruned.
    await createResumeRequest(namespace, 'u9-ttl', {
      taskId: 'u9',
      eventType: 'pr-created',
      ttlSecondsAfterFinished: 3600,
    });
    expect((await getResumeRequest(namespace, 'u9-ttl'))?.spec.ttlSecondsAfterFinished).toBe(3600);

    // Each request in flight completes, once.
    webhook.failing = false;
    const retried = await waitForPhase(namespace, 'u3-created', 'Succeeded', 60_000);
    expect(retried.status?.reason).toBe('Resumed');
    expect(retried.status?.attempts).toBeGreaterThanOrEqual(2);
    await createResumeRequest(namespace, 'u1-created', { taskId: 'u1', eventType: 'pr-created' });
    expect((await waitForPhase(namespace, 'u1-created', 'Succeeded')).status?.reason).toBe('Resumed');
    expect((await waitForPhase(namespace, 'u1-ready', 'Succeeded')).status?.reason).toBe('Resumed');
    await createResumeRequest(namespace, 'u2-bob', approval('u2', 'bob'));
    expect((await waitForPhase(namespace, 'u2-bob', 'Succeeded')).status?.reason).toBe('Resumed');
    expect((await waitForPhase(namespace, 'u2-alice', 'Succeeded')).status?.reason).toBe('ApprovalCounted');

    // And a new one works: the waiting workflow's approval takes it to the end.
    await waitForSuspendAt(namespace, 'waits', 'wait-pr-approved');
    await createResumeRequest(namespace, 'u1-approved', approval('u1', 'carol'));
    expect((await waitForPhase(namespace, 'u1-approved', 'Succeeded')).status?.reason).toBe('Resumed');
    await waitForWorkflowPhase(namespace, 'waits', 'Succeeded');
    await waitForWorkflowPhase(namespace, 'gated', 'Succeeded');

    // Exactly once: each stage's marker names the one request that resumed it (this release
    // names its uid too; the previous one named the request alone), and the failing workflow took
    // exactly one write from the operator, the one that succeeded.
    const markers = async (name: string) =>
      Object.fromEntries(
        Object.entries((await getWorkflow(namespace, name)).metadata.annotations ?? {}).filter(
          ([key]) => key.startsWith('resume.workflows.dev/waiting-') && !key.endsWith('.approvals'),
        ),
      );
    expect(await markers('waits')).toEqual({
      'resume.workflows.dev/waiting-pr-created': await markerOf(namespace, 'u1-created'),
      'resume.workflows.dev/waiting-ready-for-qa': await markerOf(namespace, 'u1-ready'),
      'resume.workflows.dev/waiting-pr-approved': await markerOf(namespace, 'u1-approved'),
    });
    expect(await markers('gated')).toEqual({
      'resume.workflows.dev/waiting-pr-created': `${namespace}/u2-created`,
      'resume.workflows.dev/waiting-ready-for-qa': `${namespace}/u2-ready`,
      'resume.workflows.dev/waiting-pr-approved': await markerOf(namespace, 'u2-bob'),
    });
    expect(await markers('retries')).toEqual({
      'resume.workflows.dev/waiting-pr-created': await markerOf(namespace, 'u3-created'),
    });
    expect(webhook.calls.allowed).toBe(1);
  } finally {
    await webhook.close();
    await Promise.all([...old].map((operator) => operator.kill()));
  }
}

let previous: { version: string; dir: string };
beforeAll(async () => {
  previous = await previousRelease();
}, 900_000);

const crdSpec = async () =>
  JSON.parse(await kubectlOk(['get', 'crd', CRD, '-o', 'json'])) as {
    metadata: { annotations?: Record<string, string> };
    spec: {
      versions: Array<{ schema: { openAPIV3Schema: { properties: { spec: { properties: object } } } } }>;
    };
  };
const specFields = async () =>
  Object.keys((await crdSpec()).spec.versions[0]!.schema.openAPIV3Schema.properties.spec.properties);

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
  const settings = [
    `watchNamespaces={${namespace}}`,
    'settings.leaseDurationMs=4000',
    'settings.renewDeadlineMs=3000',
    'settings.retryPeriodMs=500',
    'settings.retryMaxAttempts=50',
    'settings.retryInitialDelayMs=500',
    'settings.retryMaxDelayMs=2000',
  ].flatMap((value) => ['--set', value]);
  // A failed run must not leave the release's cluster-scoped objects to the next one.
  try {
    await helm([
      'install',
      release,
      join(previous.dir, 'charts/workflow-resume-operator'),
      '-n',
      system,
      ...settings,
    ]);
    await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', `crd/${CRD}`]);
    expect(await specFields()).not.toContain('ttlSecondsAfterFinished');

    await acrossUpgrade({
      install,
      newInstall: install,
      previousBundle: join(previous.dir, 'dist/operator.mjs'),
      namespace,
      watchArgs: [],
      // The CRD the previous chart installed from crds/ is not the release's: this chart takes it
      // over as a template (docs/operations.md, upgrading with Helm).
      upgrade: async () => {
        await helm([
          'upgrade',
          release,
          chart,
          '-n',
          system,
          '--take-ownership',
          '--reset-then-reuse-values',
        ]);
        expect(await specFields()).toContain('ttlSecondsAfterFinished');
      },
    });

    const listed = JSON.parse(await helm(['list', '-n', system, '-o', 'json'])) as Array<{ chart: string }>;
    const version = (
      JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }
    ).version;
    expect(listed.map((entry) => entry.chart)).toEqual([`workflow-resume-operator-${version}`]);
    await helm(['uninstall', release, '-n', system, '--wait']);
    expect((await crdSpec()).metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    expect((await getResumeRequest(namespace, 'u1-approved'))?.status?.phase).toBe('Succeeded');
    expect((await kubectl(['-n', system, 'get', 'deployment', install.deployment])).code).not.toBe(0);
  } finally {
    await run(helmTool, ['helm', '--kubeconfig', plane().kubeconfigPath, 'uninstall', release, '-n', system]);
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
    await acrossUpgrade({
      install,
      newInstall: install,
      previousBundle: join(previous.dir, 'dist/operator.mjs'),
      namespace,
      // config/default watches every namespace; on a plane shared with other test files the
      // replicas are kept to this test's namespace, which changes nothing else they do.
      watchArgs: [`--namespaces=${namespace}`, '--retry-max-attempts=50', '--retry-max-delay-ms=2000'],
      upgrade: async () => {
        await kubectlOk(['apply', '-k', join(projectRoot, 'config/default')]);
        expect(await specFields()).toContain('ttlSecondsAfterFinished');
      },
    });
  } finally {
    // Whatever happened, the plane keeps this tree's CRD and RBAC for the test files after this one.
    await kubectlOk(['apply', '-k', join(projectRoot, 'config/default')]);
  }
}, 900_000);
