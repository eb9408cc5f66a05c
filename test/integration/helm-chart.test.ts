// The Helm chart (charts/workflow-resume-operator): helm lint, what helm template renders and
// how it agrees with the kustomize install and the operator's settings, and a server-side dry
// run of the rendered chart and of config/default on the plane, so the API server validates
// every object against its real schema (the Prometheus Operator's CRDs included).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig, SETTING_NAMES } from '../../src/config.js';
import { createNamespace, kubectl, kubectlOk, plane, projectRoot, run } from '../support/plane.js';
import { operatorKubeconfigPath } from '../support/operator.js';

const chart = join(projectRoot, 'charts/workflow-resume-operator');
const tool = join(projectRoot, 'hack/tool');
const KUBE_VERSION = '1.34.4';
/** Settings the chart sets itself rather than from values.settings. */
const DERIVED = [
  'namespaces',
  'listen',
  'leaseNamespace',
  'identity',
  'domainConfigFile',
  'argoServerTokenFile',
];
const ALL_FEATURES = [
  'metrics.serviceMonitor.enabled=true',
  'metrics.prometheusRule.enabled=true',
  'grafanaDashboard.enabled=true',
  'networkPolicy.enabled=true',
];

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

async function helm(args: string[]): Promise<string> {
  // The first call may build helm from its module (cached afterwards).
  const result = await run(tool, ['helm', ...args], { timeoutMs: 900_000 });
  if (result.code !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

/** `helm template` of the chart as the text it prints. */
function render(namespace: string, sets: string[] = [], extra: string[] = []): Promise<string> {
  return helm([
    'template',
    'wro',
    chart,
    '--namespace',
    namespace,
    '--kube-version',
    KUBE_VERSION,
    ...sets.flatMap((s) => ['--set', s]),
    ...extra,
  ]);
}

async function template(namespace: string, sets: string[] = [], extra: string[] = []): Promise<K8sObject[]> {
  return parseAllDocuments(await render(namespace, sets, extra))
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

const find = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const one = (objects: K8sObject[], kind: string) => {
  const found = find(objects, kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0]! as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
};
const readYaml = (path: string) => parse(readFileSync(join(projectRoot, path), 'utf8'));

test('helm lint passes in strict mode', async () => {
  await helm(['lint', '--strict', chart]);
});

test('every operator setting is a chart value or derived by the chart, and the rendered flags load', async () => {
  const values = readYaml('charts/workflow-resume-operator/values.yaml') as {
    settings: Record<string, unknown>;
  };
  expect([...Object.keys(values.settings), ...DERIVED].sort()).toEqual([...SETTING_NAMES].sort());
  const deployment = one(await template('wro-system', ['watchNamespaces={a,b}']), 'Deployment');
  const container = deployment.spec.template.spec.containers[0];
  const config = loadConfig(container.args, { WRO_LEASE_NAMESPACE: 'wro-system', WRO_IDENTITY: 'pod-0' });
  expect(config).toMatchObject({ namespaces: ['a', 'b'], listen: '0.0.0.0:8080', resyncIntervalMs: 300_000 });
  expect(container.args).toContain('--ttl-seconds-after-finished=604800');
});

test('the Deployment runs the image non-root and read-only, two replicas under a disruption budget', async () => {
  const objects = await template('wro-system');
  const deployment = one(objects, 'Deployment');
  const pod = deployment.spec.template.spec;
  expect(deployment.spec.replicas).toBe(2);
  expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
  expect(pod.containers[0].securityContext).toMatchObject({
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
  });
  const appVersion = (readYaml('charts/workflow-resume-operator/Chart.yaml') as { appVersion: string })
    .appVersion;
  expect(pod.containers[0].image).toBe(`ghcr.io/workflow-resume-operator/operator:${appVersion}`);
  expect(one(objects, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  expect(find(await template('wro-system', ['replicas=1']), 'PodDisruptionBudget')).toHaveLength(0);
});

test('the RBAC is the kustomize install’s, bound per namespace when namespaces are listed', async () => {
  const kustomizeRole = readYaml('config/rbac/cluster-role.yaml') as { rules: unknown };
  const leaderRole = parseAllDocuments(
    readFileSync(join(projectRoot, 'config/rbac/leader-election-role.yaml'), 'utf8'),
  )[0]!.toJS() as { rules: unknown };
  const all = await template('wro-system');
  expect(one(all, 'ClusterRole').rules).toEqual(kustomizeRole.rules);
  expect(one(all, 'Role').rules).toEqual(leaderRole.rules);
  expect(find(all, 'ClusterRoleBinding')).toHaveLength(1);

  const scoped = await template('wro-system', ['watchNamespaces={team-a,team-b}']);
  expect(find(scoped, 'ClusterRoleBinding')).toHaveLength(0);
  expect(
    find(scoped, 'RoleBinding')
      .map((b) => b.metadata.namespace)
      .sort(),
  ).toEqual(['team-a', 'team-b', 'wro-system']);
});

test('the alerts and the dashboard ship as they are tested, on metrics the operator exports', async () => {
  const objects = await template('wro-system', ALL_FEATURES);
  const rules = readYaml('charts/workflow-resume-operator/files/prometheus-rules.yaml');
  expect(one(objects, 'PrometheusRule').spec).toEqual(rules);
  const dashboardFile = readFileSync(join(chart, 'files/dashboard.json'), 'utf8');
  const configMap = one(objects, 'ConfigMap');
  expect(configMap.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
  expect(JSON.parse(configMap.data['workflow-resume-operator.json'])).toEqual(JSON.parse(dashboardFile));

  const exported = new Set(
    [
      ...readFileSync(join(projectRoot, 'src/observability/metrics.ts'), 'utf8').matchAll(
        /name: '(workflow_resume_\w+)'/g,
      ),
    ].map((m) => m[1]),
  );
  const used = [...dashboardFile.matchAll(/workflow_resume_\w+/g)].map((m) =>
    m[0].replace(/_(bucket|sum|count)$/, ''),
  );
  expect(used.length).toBeGreaterThan(5);
  for (const name of used) expect(exported).toContain(name);
});

describe('on the plane, with a server-side dry run', () => {
  beforeAll(async () => {
    // ServiceMonitor and PrometheusRule need the Prometheus Operator's CRDs to be validated.
    const crds = (await run(tool, ['prometheus-operator-crds'], { timeoutMs: 300_000 })).stdout.trim();
    for (const file of [
      'monitoring.coreos.com_servicemonitors.yaml',
      'monitoring.coreos.com_prometheusrules.yaml',
    ]) {
      await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', join(crds, file)]);
    }
    await kubectlOk([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/servicemonitors.monitoring.coreos.com',
      'crd/prometheusrules.monitoring.coreos.com',
    ]);
  });

  it('the API server accepts every object the chart renders, with every feature on', async () => {
    const namespace = await createNamespace('chart');
    const rendered = await render(
      namespace,
      [...ALL_FEATURES, 'argoServer.tokenSecret=argo-token'],
      ['--include-crds', '--set-json', 'domainConfig={"waitTimeoutSeconds":3600}'],
    );
    const file = join(plane().dir, `chart-${process.pid}.yaml`);
    writeFileSync(file, rendered);
    const result = await kubectl([
      'apply',
      '--server-side',
      '--force-conflicts',
      '--dry-run=server',
      '-f',
      file,
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /deployment\.apps\/wro-workflow-resume-operator serverside-applied \(server dry run\)/,
    );
    expect(result.stdout).toMatch(
      /prometheusrule\.monitoring\.coreos\.com\/wro-workflow-resume-operator serverside-applied/,
    );
  });

  it('the API server accepts config/default', async () => {
    // The namespace config/default installs into exists once the operator's ServiceAccount does.
    await operatorKubeconfigPath();
    const result = await kubectl([
      'apply',
      '--server-side',
      '--force-conflicts',
      '--dry-run=server',
      '-k',
      join(projectRoot, 'config/default'),
    ]);
    // The plane's RBAC was applied client-side (hack/operator-kubeconfig); kubectl warns that it
    // cannot take those fields over in a dry run, which is not a rejection.
    const rejections = result.stderr
      .split('\n')
      .filter((line) => line && !line.startsWith('Warning: failed to migrate'));
    expect(rejections).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /deployment\.apps\/workflow-resume-operator serverside-applied \(server dry run\)/,
    );
  });
});
