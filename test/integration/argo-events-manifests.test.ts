// config/argo-events: accepted by Argo Events' own validators and by its CRDs on the plane, the
// Sensor's service account limited to creating ResumeRequests, and the trigger settings that
// docs/argo-events.md promises (one trigger per dependency, create under a name that begins with
// the delivery id and cannot collide, retries that outlast an API server outage, a dead letter).
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import * as github from '../fixtures/github/payloads.js';
import {
  buildSensorRender,
  renderObject,
  scratchFile,
  sensorRender,
} from '../fixtures/github/sensor-render.js';
import { createNamespace, kubectl, kubectlOk, projectRoot, run } from '../support/plane.js';

const configDir = join(projectRoot, 'config/argo-events');
const manifestFiles = readdirSync(configDir)
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .map((f) => join(configDir, f));

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
}
const manifests = manifestFiles.flatMap((file) =>
  parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => doc.toJS() as Manifest),
);
const named = (kind: string) => {
  const found = manifests.filter((m) => m.kind === kind);
  if (found.length !== 1)
    throw new Error(`expected one ${kind} in config/argo-events, found ${found.length}`);
  return found[0]!;
};

interface DataFilter {
  path: string;
  type: string;
  value: string[];
}
interface Parameter {
  src: { dependencyName: string; dataKey?: string; dataTemplate?: string; useRawData?: boolean };
  dest: string;
  operation?: string;
}
interface Trigger {
  template: {
    name: string;
    conditions?: string;
    k8s?: { operation: string; source: { resource: Manifest }; parameters: Parameter[] };
  };
  atLeastOnce?: boolean;
  retryStrategy?: { steps?: number; duration?: string; factor?: number };
  dlqTrigger?: { template: { name: string; log?: object }; atLeastOnce?: boolean };
}
const sensor = named('Sensor') as Manifest & {
  spec: { dependencies: { name: string; filters: { data: DataFilter[] } }[]; triggers: Trigger[] };
};

beforeAll(buildSensorRender, 30 * 60_000);

describe('Argo Events’ own validators', () => {
  test('accept the EventSource and the Sensor', async () => {
    const result = await run(sensorRender, ['--validate', ...manifestFiles]);
    expect(result.stderr).not.toContain('invalid:');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('EventSource/github');
    expect(result.stdout).toContain('Sensor/github-resume-requests');
  });

  test('refuse what the CRDs would silently keep: a labelSelector on an argoWorkflow trigger', async () => {
    const file = scratchFile(
      'argo-workflow-trigger.yaml',
      `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: by-selector}
spec:
  dependencies: [{name: pr, eventSourceName: github, eventName: pull-requests}]
  triggers:
    - template:
        name: resume
        argoWorkflow:
          operation: resume
          labelSelector: task-id=42
          source: {resource: {apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: play}}}
`,
    );
    const result = await run(sensorRender, ['--validate', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unknown field "labelSelector"');
  });

  test('refuse a GitHub EventSource that names no repository or organization', async () => {
    const eventSource = readFileSync(join(configDir, 'eventsource.yaml'), 'utf8').replace(
      /\n {6}repositories:\n(?: {8}.*\n)+/,
      '\n',
    );
    expect(eventSource).not.toMatch(/^\s*repositories:/m);
    const result = await run(sensorRender, ['--validate', scratchFile('eventsource.yaml', eventSource)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('either repositories or organizations is required');
  });
});

describe('the Sensor’s triggers', () => {
  const dependencies = sensor.spec.dependencies.map((d) => d.name);

  test('one per event type, each firing on its own dependency alone', () => {
    expect(dependencies.sort()).toEqual(['pr-approved', 'pr-created', 'pr-labeled-ready']);
    expect(sensor.spec.triggers.map((t) => [t.template.name, t.template.conditions])).toEqual(
      expect.arrayContaining(dependencies.map((d) => [d, d])),
    );
    expect(sensor.spec.triggers).toHaveLength(3);
  });

  test.each(sensor.spec.triggers.map((t) => [t.template.name, t] as const))(
    '%s creates a ResumeRequest under a name from the delivery id, at least once, retrying for 15 minutes',
    (_name, trigger) => {
      expect(trigger.atLeastOnce).toBe(true);
      // A constant 2 s between tries (factor 1: Argo Events' backoff has no cap), 450 of them.
      const { steps = 0, duration = '', factor } = trigger.retryStrategy ?? {};
      expect(factor).toBe(1);
      expect(steps * Number(/^(\d+)s$/.exec(duration)?.[1])).toBeGreaterThanOrEqual(900);
      expect(trigger.dlqTrigger).toEqual({
        template: { name: `${trigger.template.name}-dead-letter`, log: {} },
        atLeastOnce: true,
      });
      const k8s = trigger.template.k8s!;
      expect(k8s.operation).toBe('create');
      expect(k8s.source.resource).toMatchObject({
        apiVersion: 'resume.workflows.dev/v1alpha1',
        kind: 'ResumeRequest',
        metadata: { generateName: 'gh-' },
      });
      const [naming, ...facts] = k8s.parameters;
      expect(naming).toEqual({
        src: {
          dependencyName: trigger.template.name,
          dataTemplate: '{{ printf "gh-%s-" (index .Input.body "X-GitHub-Delivery") }}',
        },
        dest: 'metadata.generateName',
      });
      for (const parameter of facts) {
        expect(parameter.src.dependencyName).toBe(trigger.template.name);
        // Facts are copied, not computed: the operator owns the logic.
        expect(parameter.src.dataTemplate).toBeUndefined();
      }
      const raw = facts.filter((p) => p.src.useRawData).map((p) => p.dest);
      // JSON kept as JSON: a list, numbers (a review's and its reviewer's ids too), and a head
      // repository and fork flag that are null when the fork was deleted.
      expect(raw.sort()).toEqual([
        'spec.github.headRepository',
        'spec.github.headRepositoryFork',
        'spec.github.labels',
        ...(trigger.template.name === 'pr-approved'
          ? ['spec.github.reviewId', 'spec.github.reviewerId']
          : []),
        'spec.prNumber',
      ]);
    },
  );

  test('every dependency lets through only delivery ids that make a valid name', () => {
    for (const dependency of sensor.spec.dependencies)
      expect(dependency.filters.data).toContainEqual({
        path: 'body.X-GitHub-Delivery',
        type: 'string',
        value: ['^[A-Za-z0-9-]{1,64}$'],
      });
  });

  test('every string filter is anchored at both ends', () => {
    const filters = sensor.spec.dependencies.flatMap((d) => d.filters.data);
    expect(filters.length).toBeGreaterThanOrEqual(10);
    for (const filter of filters) {
      expect(filter.type).toBe('string');
      for (const value of filter.value) expect(value).toMatch(/^\^.*\$$/);
    }
  });
});

describe('on the plane', () => {
  let namespace: string;
  const serviceAccount = () => `system:serviceaccount:${namespace}:github-resume-sensor`;

  beforeAll(async () => {
    namespace = await createNamespace('argo-events');
    // An overlay that puts the kustomization into the test namespace, as a user's would.
    const overlay = mkdtempSync(join(tmpdir(), 'argo-events-overlay-'));
    writeFileSync(
      join(overlay, 'kustomization.yaml'),
      `resources: [${relative(overlay, configDir)}]\nnamespace: ${namespace}\n`,
    );
    const rendered = await kubectlOk(['kustomize', overlay]);
    rmSync(overlay, { recursive: true, force: true });
    await kubectlOk(['create', '-f', '-'], rendered);
  });

  test('the Argo Events CRDs accept every object and keep the Sensor and EventSource as written', async () => {
    for (const manifest of manifests) {
      const live = JSON.parse(
        await kubectlOk(['get', '-n', namespace, '-o', 'json', manifest.kind, manifest.metadata.name]),
      ) as Manifest;
      expect(live.metadata.namespace).toBe(namespace);
      if (manifest.spec) expect(live.spec).toEqual(manifest.spec);
    }
  });

  test('the EventBus asks for a JetStream version the pinned Argo Events controller knows', async () => {
    const crdDir = (await run(join(projectRoot, 'hack/plane'), ['crd-dir', 'events'])).stdout.trim();
    const configMap = parse(
      readFileSync(join(dirname(crdDir), 'controller-manager/controller-config.yaml'), 'utf8'),
    ) as { data: Record<string, string> };
    const config = parse(configMap.data['controller-config.yaml']!) as {
      eventBus: { jetstream: { versions: { version: string }[] } };
    };
    const wanted = (named('EventBus').spec as { jetstream: { version: string } }).jetstream.version;
    expect(config.eventBus.jetstream.versions.map((v) => v.version)).toContain(wanted);
  });

  test.each([
    ['create', 'resumerequests.resume.workflows.dev', 'yes'],
    ['get', 'resumerequests.resume.workflows.dev', 'no'],
    ['update', 'resumerequests.resume.workflows.dev', 'no'],
    ['patch', 'resumerequests.resume.workflows.dev', 'no'],
    ['delete', 'resumerequests.resume.workflows.dev', 'no'],
    ['create', 'workflows.argoproj.io', 'no'],
    ['update', 'workflows.argoproj.io', 'no'],
    ['create', 'configmaps', 'no'],
  ])('the Sensor’s service account: can-i %s %s → %s', async (verb, resource, answer) => {
    const result = await kubectl([
      'auth',
      'can-i',
      verb,
      resource,
      '-n',
      namespace,
      '--as',
      serviceAccount(),
    ]);
    expect(result.stdout.trim()).toBe(answer);
  });

  test('as the Sensor: a delivery creates its ResumeRequest, and a redelivery another one', async () => {
    const object = await renderObject('pull_request', github.labeledWith('ready-for-qa'), {
      deliveryId: '0b8e4c2a-3c1d-11ee-be56-0242ac120002',
    });
    const asSensor = ['-n', namespace, '--as', serviceAccount(), '-o', 'jsonpath={.metadata.name}'];
    const first = await kubectlOk(['create', ...asSensor, '-f', '-'], JSON.stringify(object));
    const again = await kubectlOk(['create', ...asSensor, '-f', '-'], JSON.stringify(object));
    expect(first).toMatch(/^gh-0b8e4c2a-3c1d-11ee-be56-0242ac120002-[a-z0-9]{5}$/);
    expect(again).toMatch(/^gh-0b8e4c2a-3c1d-11ee-be56-0242ac120002-[a-z0-9]{5}$/);
    expect(again).not.toBe(first);
  });

  test('the EventSource checks every delivery’s signature: it names a webhook secret, never optional', () => {
    const github = (named('EventSource').spec as { github: Record<string, { webhookSecret?: object }> })
      .github;
    for (const event of Object.values(github))
      expect(event.webhookSecret).toEqual({ name: 'github-webhook', key: 'secret' });
  });
});
