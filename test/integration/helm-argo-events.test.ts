// The chart's Argo Events side (argoEvents.*, off by default): it installs the very objects of
// config/argo-events (its files/argo-events links to them), the EventSource with the release's
// repositories when given, and the API server accepts them all in a server-side dry run.
import { readFileSync, readlinkSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createNamespace, kubectl, plane, projectRoot, run } from '../support/plane.js';

const chart = join(projectRoot, 'charts/workflow-resume-operator');
const configDir = join(projectRoot, 'config/argo-events');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
}

const documents = (text: string) =>
  parseAllDocuments(text)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);

async function argoEventsObjects(sets: string[]): Promise<K8sObject[]> {
  const result = await run(
    join(projectRoot, 'hack/tool'),
    ['helm', 'template', 'wro', chart, '--namespace', 'plays', ...sets.flatMap((s) => ['--set', s])],
    { timeoutMs: 900_000 },
  );
  if (result.code !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return documents(result.stdout).filter(
    (o) => o.apiVersion.startsWith('argoproj.io/') || o.metadata.name === 'github-resume-sensor',
  );
}

const shipped = (file: string) => documents(readFileSync(join(configDir, file), 'utf8'));
const ALL = [
  'argoEvents.sensor.enabled=true',
  'argoEvents.eventSource.enabled=true',
  'argoEvents.eventBus.enabled=true',
];

test('files/argo-events is config/argo-events itself, not a copy', () => {
  const dir = join(chart, 'files/argo-events');
  for (const file of readdirSync(dir))
    expect(resolve(dir, readlinkSync(join(dir, file)))).toBe(join(configDir, file));
});

test('installs nothing of Argo Events by default', async () => {
  expect(await argoEventsObjects([])).toEqual([]);
});

test('the Sensor with its ServiceAccount, Role and binding, as config/argo-events ships them', async () => {
  const objects = await argoEventsObjects(['argoEvents.sensor.enabled=true']);
  expect(objects).toEqual(expect.arrayContaining([...shipped('rbac.yaml'), ...shipped('sensor.yaml')]));
  expect(objects.map((o) => o.kind).sort()).toEqual(['Role', 'RoleBinding', 'Sensor', 'ServiceAccount']);
});

test('the EventSource and the EventBus on request, the EventSource for the release’s repositories', async () => {
  const objects = await argoEventsObjects([
    ...ALL,
    'argoEvents.eventSource.repositories[0].owner=acme',
    'argoEvents.eventSource.repositories[0].names[0]=widgets',
  ]);
  expect(objects.find((o) => o.kind === 'EventBus')).toEqual(shipped('eventbus.yaml')[0]);
  const [source] = shipped('eventsource.yaml') as [K8sObject & { spec: { github: Record<string, object> } }];
  const expected = structuredClone(source);
  expected.spec.github['pull-requests'] = {
    ...expected.spec.github['pull-requests'],
    repositories: [{ owner: 'acme', names: ['widgets'] }],
  };
  expect(objects.find((o) => o.kind === 'EventSource')).toEqual(expected);
});

test('the API server accepts every object in a server-side dry run', async () => {
  const namespace = await createNamespace('chart-events');
  const result = await run(
    join(projectRoot, 'hack/tool'),
    ['helm', 'template', 'wro', chart, '--namespace', namespace, ...ALL.flatMap((s) => ['--set', s])],
    { timeoutMs: 900_000 },
  );
  const file = join(plane().dir, `chart-events-${process.pid}.yaml`);
  writeFileSync(
    file,
    documents(result.stdout)
      .filter((o) => o.apiVersion.startsWith('argoproj.io/') || o.metadata.name === 'github-resume-sensor')
      .map((o) => JSON.stringify(o))
      .join('\n---\n'),
  );
  const applied = await kubectl(['apply', '-n', namespace, '--server-side', '--dry-run=server', '-f', file]);
  expect(applied.stderr).toBe('');
  expect(applied.stdout).toMatch(/sensor\.argoproj\.io\/github-resume-requests serverside-applied/);
  expect(applied.stdout).toMatch(/eventsource\.argoproj\.io\/github serverside-applied/);
  expect(applied.stdout).toMatch(/eventbus\.argoproj\.io\/default serverside-applied/);
});
