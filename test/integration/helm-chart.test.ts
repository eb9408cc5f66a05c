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

test('the RBAC is the kustomize install’s: a ClusterRole, or Roles in the namespaces listed', async () => {
  const kustomizeRole = readYaml('config/rbac/cluster-role.yaml') as { rules: unknown };
  const leaderRole = parseAllDocuments(
    readFileSync(join(projectRoot, 'config/rbac/leader-election-role.yaml'), 'utf8'),
  )[0]!.toJS() as { rules: unknown };
  const all = await template('wro-system');
  const operatorRole = find(all, 'ClusterRole').find(
    (r) => r.metadata.name === 'wro-workflow-resume-operator',
  );
  expect(operatorRole?.rules).toEqual(kustomizeRole.rules);
  expect(one(all, 'Role').rules).toEqual(leaderRole.rules);
  expect(find(all, 'ClusterRoleBinding')).toHaveLength(1);

  const scoped = await template('wro-system', ['watchNamespaces={team-a,team-b}']);
  expect(find(scoped, 'ClusterRoleBinding')).toHaveLength(0);
  expect(find(scoped, 'ClusterRole').map((r) => r.metadata.name)).not.toContain(
    'wro-workflow-resume-operator',
  );
  const roles = find(scoped, 'Role').filter((r) => !r.metadata.name.endsWith('-leader-election'));
  expect(roles.map((r) => r.metadata.namespace).sort()).toEqual(['team-a', 'team-b']);
  for (const role of roles) expect(role.rules).toEqual(kustomizeRole.rules);
  expect(
    find(scoped, 'RoleBinding')
      .map((b) => `${b.metadata.namespace}/${(b.roleRef as { kind: string }).kind}`)
      .sort(),
  ).toEqual(['team-a/Role', 'team-b/Role', 'wro-system/Role']);
});

test('users who may view or edit a namespace may view or edit its ResumeRequests', async () => {
  const roles = find(await template('wro-system'), 'ClusterRole');
  type Role = { metadata: { labels: Record<string, string> }; rules: Array<{ verbs: string[] }> };
  const view = roles.find((r) => r.metadata.name === 'wro-workflow-resume-operator-view') as unknown as Role;
  const edit = roles.find((r) => r.metadata.name === 'wro-workflow-resume-operator-edit') as unknown as Role;
  expect(view.metadata.labels['rbac.authorization.k8s.io/aggregate-to-view']).toBe('true');
  expect(view.rules[0]!.verbs).toEqual(['get', 'list', 'watch']);
  expect(edit.metadata.labels).toMatchObject({
    'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
    'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
  });
  expect(
    find(await template('wro-system', ['rbac.aggregateToDefaultRoles=false']), 'ClusterRole'),
  ).toHaveLength(1);
});

test('two releases name every cluster-scoped object and their leases apart', async () => {
  const names = async (release: string) => {
    const objects = parseAllDocuments(
      await helm(['template', release, chart, '--namespace', 'shared', '--kube-version', KUBE_VERSION]),
    )
      .map((doc) => doc.toJS() as K8sObject | null)
      .filter((o): o is K8sObject => o !== null);
    const deployment = one(objects, 'Deployment');
    return {
      cluster: objects
        .filter((o) => !o.metadata.namespace && o.kind !== 'CustomResourceDefinition')
        .map((o) => `${o.kind}/${o.metadata.name}`),
      lease: (deployment.spec.template.spec.containers[0].args as string[]).find((a) =>
        a.startsWith('--lease-name='),
      ),
    };
  };
  const [a, b] = [await names('one'), await names('two')];
  expect(a.cluster.length).toBeGreaterThan(0);
  expect(a.cluster.filter((name) => b.cluster.includes(name))).toEqual([]);
  expect(a.lease).toBe('--lease-name=one-workflow-resume-operator');
  expect(b.lease).toBe('--lease-name=two-workflow-resume-operator');
});

test('the CRD is a template that upgrades with the release and survives its uninstall', async () => {
  const crd = one(await template('wro-system'), 'CustomResourceDefinition');
  const source = readYaml('crds/resume.workflows.dev_resumerequests.yaml') as { spec: unknown };
  expect(crd.spec).toEqual(source.spec);
  expect(crd.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
  expect(crd.metadata.labels['app.kubernetes.io/managed-by']).toBe('Helm');
  expect(
    one(await template('wro-system', ['crds.keep=false']), 'CustomResourceDefinition').metadata.annotations,
  ).toEqual({});
  expect(find(await template('wro-system', ['crds.install=false']), 'CustomResourceDefinition')).toHaveLength(
    0,
  );
});

test('extra flags, environment, volumes, a CA bundle, a digest, name overrides and probe settings', async () => {
  const deployment = one(
    await template('wro-system', [
      'fullnameOverride=resumer',
      'image.digest=sha256:' + 'a'.repeat(64),
      'argoServer.caBundle.configMapName=argo-ca',
      'extraArgs={--log-level=debug}',
      'extraEnv[0].name=NODE_OPTIONS',
      'extraEnv[0].value=--enable-source-maps',
      'extraVolumes[0].name=scratch',
      'extraVolumes[0].emptyDir.medium=Memory',
      'extraVolumeMounts[0].name=scratch',
      'extraVolumeMounts[0].mountPath=/scratch',
      'readinessProbe.periodSeconds=1',
      'podAntiAffinity=hard',
    ]),
    'Deployment',
  );
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  expect(deployment.metadata.name).toBe('resumer');
  expect(container.image).toBe(`ghcr.io/workflow-resume-operator/operator@sha256:${'a'.repeat(64)}`);
  expect(container.args).toContain('--log-level=debug');
  expect(container.args).toContain('--lease-name=resumer');
  expect(container.env).toEqual(
    expect.arrayContaining([
      { name: 'NODE_OPTIONS', value: '--enable-source-maps' },
      { name: 'NODE_EXTRA_CA_CERTS', value: '/etc/workflow-resume-operator/argo-server-ca/ca.crt' },
    ]),
  );
  expect(container.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toEqual([
    '/etc/workflow-resume-operator/argo-server-ca',
    '/scratch',
  ]);
  expect(pod.volumes[0].configMap).toEqual({ name: 'argo-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] });
  expect(container.readinessProbe).toEqual({
    httpGet: { path: '/readyz', port: 'http' },
    periodSeconds: 1,
    timeoutSeconds: 2,
    failureThreshold: 3,
  });
  expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
  const config = loadConfig(container.args, { WRO_LEASE_NAMESPACE: 'wro-system', WRO_IDENTITY: 'pod-0' });
  expect(config).toMatchObject({ logLevel: 'debug', leaseName: 'resumer' });
});

test('two replicas are spread over nodes and zones by default, without ever blocking scheduling', async () => {
  const pod = one(await template('wro-system'), 'Deployment').spec.template.spec;
  expect(
    pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm
      .topologyKey,
  ).toBe('kubernetes.io/hostname');
  expect(pod.topologySpreadConstraints).toEqual([
    expect.objectContaining({
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'ScheduleAnyway',
    }),
  ]);
});

test('helm test asks the metrics Service for a ready replica of the chart’s version, in the operator’s image', async () => {
  const objects = await template('wro-system');
  const pod = find(objects, 'Pod')[0] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  // No selector of the release's counts the test pod as one of the operator's replicas.
  const labels = pod.metadata.labels as Record<string, string>;
  for (const owner of ['Deployment', 'PodDisruptionBudget', 'Service'].flatMap((kind) =>
    find(objects, kind),
  )) {
    const selector = (
      owner.spec as { selector: Record<string, string> & { matchLabels?: Record<string, string> } }
    ).selector;
    const wanted = Object.entries(selector.matchLabels ?? selector);
    expect({
      owner: owner.metadata.name,
      selects: wanted.every(([key, value]) => labels[key] === value),
    }).toEqual({
      owner: owner.metadata.name,
      selects: false,
    });
  }
  const appVersion = (readYaml('charts/workflow-resume-operator/Chart.yaml') as { appVersion: string })
    .appVersion;
  expect(pod.metadata.annotations['helm.sh/hook']).toBe('test');
  expect(pod.spec.containers[0].image).toBe(`ghcr.io/workflow-resume-operator/operator:${appVersion}`);
  const script = pod.spec.containers[0].args[0] as string;
  expect(script).toContain("const base = 'http://wro-workflow-resume-operator-metrics:8080'");
  expect(script).toContain(`workflow_resume_build_info{version="${appVersion}"`);
  expect(find(await template('wro-system', ['tests.enabled=false']), 'Pod')).toHaveLength(0);
});

test.each([
  ['a typo in a setting', ['settings.concurency=4'], /additional properties 'concurency' not allowed/i],
  ['a setting of the wrong type', ['settings.concurrency=many'], /concurrency/],
  [
    'the argo-server backend without its URL',
    ['settings.backend=argo-server'],
    /set settings.argoServerUrl too/,
  ],
  [
    'two replicas without leader election',
    ['settings.leaderElection=false'],
    /every replica would reconcile/,
  ],
  [
    'a renew deadline past the lease',
    ['settings.renewDeadlineMs=20000'],
    /renewDeadlineMs must be shorter than settings.leaseDurationMs/,
  ],
  [
    'a CA bundle from two sources',
    ['argoServer.caBundle.configMapName=a', 'argoServer.caBundle.secretName=b'],
    /configMapName or secretName, not both/,
  ],
])('refuses %s with a message that says what to change', async (_case, sets, message) => {
  await expect(render('wro-system', sets)).rejects.toThrow(message);
});

test('the alerts and the dashboard ship on metrics the operator exports', async () => {
  const objects = await template('wro-system', ALL_FEATURES);
  const rules = JSON.stringify(one(objects, 'PrometheusRule').spec);
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
  const used = [...(dashboardFile + rules).matchAll(/workflow_resume_\w+/g)].map((m) =>
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
      // The helm test pod is created after the release, whose ServiceAccount it runs as.
      ['--no-hooks', '--set-json', 'domainConfig={"waitTimeoutSeconds":3600}'],
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
    // The CRD may have been applied client-side before (config/default, the upgrade test);
    // kubectl warns that a dry run cannot take those fields over, which is not a rejection.
    expect(
      result.stderr.split('\n').filter((line) => line && !line.startsWith('Warning: failed to migrate')),
    ).toEqual([]);
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
