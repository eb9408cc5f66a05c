// Upgrading on a real node, as a platform team upgrades: the previous release (the newest line of
// hack/release/releases) installed with its own chart and its own image, built from its commit
// (hack/release/previous image), requests put in flight under it (one waiting for its stage, one
// held at an approval gate, one retrying against a failing API), then `helm upgrade` to this
// chart and the image `make image` built, which the Deployment rolls out. After it, the CRD has
// this tree's fields, two Ready pods of the new image run with one leader, every request is
// final and every stage was resumed once. The same with `kubectl apply` of each release's
// config/default.
//
// test/upgrade/ plays the same upgrade on the shared plane with the operators as local processes
// (no root, no node); here the kubelet rolls the pods and the operator reaches the API server
// through the kubernetes Service, as in a cluster.
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { chartDir, helm } from '../support/helm.js';
import { getPods, nodePlaneForFile, planeCommand } from '../support/node-plane.js';
import { createNamespace, kubectl, kubectlOk, projectRoot, waitFor } from '../support/plane.js';
import { getResumeRequest } from '../support/resume-requests.js';
import {
  CRD,
  currentVersion,
  expectEachCompletedOnce,
  installedCrd,
  previousRelease,
  previousReleaseImage,
  putRequestsInFlight,
  shippedCrdFields,
  type PreviousRelease,
  upgradeChartValues,
  upgradeEnv,
} from '../support/upgrade.js';

const image = process.env.OPERATOR_IMAGE ?? 'localhost/workflow-resume-operator:dev';
const SELECTOR = 'app.kubernetes.io/name=workflow-resume-operator';
/** How long a request in flight may take to finish after the upgrade, on a loaded machine. */
const SETTLE_MS = 180_000;

const node = nodePlaneForFile();
let previous: PreviousRelease;
let previousImage: string;

beforeAll(async () => {
  previous = await previousRelease();
  // A cold cache builds the previous release's image once (about a minute and a half).
  previousImage = await previousReleaseImage();
  const loaded = await planeCommand(['load', node.dir, previousImage, image], {}, 600_000);
  if (loaded.code !== 0) throw new Error(`hack/plane load failed (run make image first):\n${loaded.stderr}`);
}, 20 * 60_000);

const splitImage = (reference: string) => {
  const colon = reference.lastIndexOf(':');
  return { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) };
};

/** Exactly two pods, both Ready and running `expected`, none terminating: the rollout is over. */
function rolledOut(namespace: string, expected: string) {
  return waitFor(
    `two Ready pods of ${expected} in ${namespace} and no other`,
    async () => {
      const pods = await getPods(namespace, SELECTOR);
      const images = pods.map(
        (pod) => (pod as unknown as { spec: { containers: { image: string }[] } }).spec.containers[0]!.image,
      );
      const done =
        pods.length === 2 &&
        pods.every((pod) => pod.ready && !pod.metadata.deletionTimestamp) &&
        images.every((running) => running === expected);
      return done ? pods : undefined;
    },
    { timeoutMs: 300_000, intervalMs: 500 },
  );
}

async function podMetrics(namespace: string, pod: string): Promise<string> {
  const ip = await kubectlOk(['-n', namespace, 'get', 'pod', pod, '-o', 'jsonpath={.status.podIP}']);
  // The host reaches pod addresses through the node (the route hack/plane adds).
  const response = await fetch(`http://${ip}:8080/metrics`, { signal: AbortSignal.timeout(5000) });
  return response.text();
}

/**
 * The rolled-out install's leader: the pod that holds `lease` and says by its metrics that it
 * leads. Returns its metrics, for the build it reports.
 */
async function leaderMetrics(namespace: string, lease: string, expected: string): Promise<string> {
  const pods = await rolledOut(namespace, expected);
  return waitFor(
    `a pod of ${expected} to hold the lease ${namespace}/${lease} and report leading`,
    async () => {
      const holder = await kubectl([
        '-n',
        namespace,
        'get',
        'lease',
        lease,
        '-o',
        'jsonpath={.spec.holderIdentity}',
      ]);
      if (!pods.some((pod) => pod.metadata.name === holder.stdout)) return undefined;
      const metrics = await podMetrics(namespace, holder.stdout).catch(() => '');
      return /^workflow_resume_leader 1$/m.test(metrics) ? metrics : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
}

/** The build a leader's metrics name (absent before the release that added build info). */
const reportedVersion = (metrics: string) =>
  /^workflow_resume_build_info\{[^}]*version="([^"]+)"/m.exec(metrics)?.[1];

interface KustomizeObject {
  kind: string;
  spec?: {
    template: { spec: { containers: { image: string; env?: { name: string; value?: string }[] }[] } };
  };
}

/** Removes this tree's CRD (the plane installs it): the previous release installs its own, as on a new cluster. */
async function removeCrd(): Promise<void> {
  await kubectlOk(['delete', 'crd', CRD, '--ignore-not-found', '--wait', '--timeout=120s']);
}

test(
  'with Helm: the previous chart and image, then this chart and image, with requests in flight',
  async () => {
    const namespace = await createNamespace('upgrade-helm');
    const system = await createNamespace('upgrade-helm-system');
    // Cluster-scoped objects are named after the release: a name of its own per run, so a reused
    // node plane (NODE_PLANE_DIR) meets nothing of an earlier one.
    const release = `up-${system.slice(-6)}`;
    const fullName = `${release}-workflow-resume-operator`;
    const old = splitImage(previousImage);
    await removeCrd();
    try {
      await helm([
        'install',
        release,
        join(previous.dir, 'charts/workflow-resume-operator'),
        '--namespace',
        system,
        ...[
          `image.repository=${old.repository}`,
          `image.tag=${old.tag}`,
          'image.pullPolicy=Never',
          `watchNamespaces={${namespace}}`,
        ].flatMap((value) => ['--set', value]),
        ...upgradeChartValues(),
        '--wait',
        '--timeout',
        '5m',
      ]);
      expect((await installedCrd()).fields).toEqual(shippedCrdFields(previous.dir));
      // The previous chart named its Lease after the operator, not the release.
      expect(reportedVersion(await leaderMetrics(system, 'workflow-resume-operator', previousImage))).toBe(
        undefined,
      );

      const webhook = await putRequestsInFlight(namespace, `system:serviceaccount:${system}:${fullName}`);
      try {
        // This chart takes over the CRD that the previous one installed from crds/ (docs/operations.md,
        // upgrading with Helm), keeps the release's values and rolls the pods to the new image.
        const fresh = splitImage(image);
        await helm([
          'upgrade',
          release,
          chartDir,
          '--namespace',
          system,
          '--take-ownership',
          '--reset-then-reuse-values',
          '--set',
          `image.repository=${fresh.repository}`,
          '--set',
          `image.tag=${fresh.tag}`,
          '--wait',
          '--timeout',
          '5m',
        ]);
        expect((await installedCrd()).fields).toEqual(shippedCrdFields());
        expect(reportedVersion(await leaderMetrics(system, fullName, image))).toBe(currentVersion());
        await expectEachCompletedOnce(namespace, webhook, SETTLE_MS);
      } finally {
        await webhook.close();
      }

      const listed = JSON.parse(await helm(['list', '--namespace', system, '-o', 'json'])) as Array<{
        chart: string;
      }>;
      expect(listed.map((entry) => entry.chart)).toEqual([`workflow-resume-operator-${currentVersion()}`]);
      await helm(['uninstall', release, '--namespace', system, '--wait']);
      expect((await installedCrd()).annotations['helm.sh/resource-policy']).toBe('keep');
      expect((await getResumeRequest(namespace, 'u1-approved'))?.status?.phase).toBe('Succeeded');
    } finally {
      await helm(['uninstall', release, '--namespace', system, '--wait']).catch(() => undefined);
    }
  },
  20 * 60_000,
);

test(
  'with kubectl apply: the previous config/default and image, then this one’s, with requests in flight',
  async () => {
    const namespace = await createNamespace('upgrade-kustomize');
    const system = 'workflow-resume-system';
    /**
     * What `kubectl apply -k ROOT/config/default` applies, with the image loaded on the node in
     * place of the published one and UPGRADE_SETTINGS added, as the Helm test sets them.
     */
    const apply = async (root: string, reference: string) => {
      const objects = parseAllDocuments(await kubectlOk(['kustomize', join(root, 'config/default')])).map(
        (document) => document.toJS() as KustomizeObject,
      );
      const deployments = objects.filter((object) => object.kind === 'Deployment');
      expect(deployments).toHaveLength(1);
      const container = deployments[0]!.spec!.template.spec.containers[0]!;
      expect(container.image).toMatch(/^ghcr\.io\/workflow-resume-operator\/operator:/);
      container.image = reference;
      container.env = [...(container.env ?? []), ...upgradeEnv()];
      await kubectlOk(
        ['apply', '-f', '-'],
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
      );
    };
    await removeCrd();
    try {
      await apply(previous.dir, previousImage);
      await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', `crd/${CRD}`]);
      expect((await installedCrd()).fields).toEqual(shippedCrdFields(previous.dir));
      await leaderMetrics(system, 'workflow-resume-operator', previousImage);

      const webhook = await putRequestsInFlight(
        namespace,
        `system:serviceaccount:${system}:workflow-resume-operator`,
      );
      try {
        await apply(projectRoot, image);
        expect((await installedCrd()).fields).toEqual(shippedCrdFields());
        expect(reportedVersion(await leaderMetrics(system, 'workflow-resume-operator', image))).toBe(
          currentVersion(),
        );
        await expectEachCompletedOnce(namespace, webhook, SETTLE_MS);
      } finally {
        await webhook.close();
      }
    } finally {
      // Nothing of this install keeps reconciling on a reused node plane.
      await kubectl(['-n', system, 'delete', 'deployment', 'workflow-resume-operator', '--wait=false']);
    }
  },
  20 * 60_000,
);
