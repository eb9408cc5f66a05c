// The operator's image (make image) run as a container through testcontainers on the local
// engine, against the local plane: host network, read-only root file system, its own non-root
// user, and a kubeconfig for the operator's ServiceAccount mounted read-only. It resumes a
// workflow, serves /metrics, and gives its lease up on SIGTERM.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GenericContainer,
  getContainerRuntimeClient,
  ImageName,
  Wait,
  type StartedTestContainer,
} from 'testcontainers';
import { freePort } from '../../bench/free-port.js';
import { createNamespace, plane, projectRoot, waitFor } from '../support/plane.js';
import { operatorKubeconfigPath } from '../support/operator.js';
import { createResumeRequest, waitForPhase } from '../support/resume-requests.js';
import { createWorkflow, customObjects, playWorkflow, waitForSuspendAt } from '../support/workflows.js';

const image = process.env.OPERATOR_IMAGE ?? 'localhost/workflow-resume-operator:dev';
const leaseNamespace = 'workflow-resume-system';
const version = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string })
  .version;
const revision = execFileSync('git', ['-C', projectRoot, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();

/** testcontainers finds the engine through these (DOCKER_HOST, no Ryuk); the script sets it up. */
function useContainerEngine(): void {
  const env = execFileSync(join(projectRoot, 'hack/container-engine'), ['env'], { encoding: 'utf8' });
  for (const assignment of env
    .replace(/^export /, '')
    .trim()
    .split(/\s+/)) {
    const at = assignment.indexOf('=');
    process.env[assignment.slice(0, at)] = assignment.slice(at + 1);
  }
}

/** A container whose root file system is read-only, as the Deployment and the chart run it. */
class ReadOnlyContainer extends GenericContainer {
  withReadOnlyRootFilesystem(): this {
    this.hostConfig.ReadonlyRootfs = true;
    return this;
  }
}

function holderOf(name: string): Promise<string | null | undefined> {
  return customObjects()
    .getNamespacedCustomObject({
      group: 'coordination.k8s.io',
      version: 'v1',
      plural: 'leases',
      namespace: leaseNamespace,
      name,
    })
    .then((lease: { spec?: { holderIdentity?: string | null } }) => lease.spec?.holderIdentity);
}

let namespace: string;
let port: number;
let container: StartedTestContainer;

beforeAll(async () => {
  useContainerEngine();
  namespace = await createNamespace('image');
  port = await freePort();
  // The container's user (65532) must be able to read the mounted kubeconfig.
  const kubeconfig = join(plane().dir, `image-${process.pid}.kubeconfig`);
  copyFileSync(await operatorKubeconfigPath(), kubeconfig);
  chmodSync(kubeconfig, 0o644);
  container = await new ReadOnlyContainer(image)
    .withReadOnlyRootFilesystem()
    .withPullPolicy({ shouldPull: () => false })
    .withNetworkMode('host')
    .withBindMounts([{ source: kubeconfig, target: '/etc/operator/kubeconfig', mode: 'ro' }])
    .withEnvironment({ KUBECONFIG: '/etc/operator/kubeconfig', WRO_IDENTITY: `image-${namespace}` })
    .withCommand([
      `--namespaces=${namespace}`,
      `--listen=127.0.0.1:${port}`,
      `--lease-name=image-${namespace}`,
      '--retry-initial-delay-ms=300',
    ])
    .withWaitStrategy(Wait.forLogMessage('became leader'))
    .withStartupTimeout(60_000)
    .start();
}, 120_000);

afterAll(async () => {
  await container?.stop({ timeout: 1_000 }).catch(() => undefined);
});

test('runs as its own non-root user on a read-only root file system', async () => {
  const probe = await container.exec([
    '/nodejs/bin/node',
    '-e',
    "try { require('fs').writeFileSync('/app/probe', 'x') } catch (e) { console.log(process.getuid(), e.code) }",
  ]);
  expect(probe.output.trim()).toBe('65532 EROFS');
});

test('names its version and commit in its OCI labels and its build info', async () => {
  const client = await getContainerRuntimeClient();
  const labels = (await client.image.inspect(ImageName.fromString(image))).Config.Labels;
  expect(labels).toMatchObject({
    'org.opencontainers.image.version': version,
    'org.opencontainers.image.revision': revision,
    'org.opencontainers.image.created': execFileSync(
      'git',
      ['-C', projectRoot, 'show', '-s', '--format=%cI'],
      {
        encoding: 'utf8',
      },
    ).trim(),
  });
  const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  expect(metrics).toContain(`workflow_resume_build_info{version="${version}",revision="${revision}"} 1`);
});

test('resumes a workflow and serves its metrics', async () => {
  await createWorkflow(namespace, playWorkflow('play', { 'task-id': '301' }));
  await waitForSuspendAt(namespace, 'play', 'wait-pr-created');
  await createResumeRequest(namespace, 'play-created', { taskId: '301', eventType: 'pr-created' });
  const request = await waitForPhase(namespace, 'play-created', 'Succeeded');
  expect(request.status).toMatchObject({ reason: 'Resumed', workflowName: 'play', attempts: 1 });
  await waitForSuspendAt(namespace, 'play', 'wait-ready-for-qa');

  const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  expect(metrics).toMatch(/^workflow_resume_requests_total\{phase="Succeeded",reason="Resumed"\} 1$/m);
  expect(metrics).toMatch(/^workflow_resume_leader 1$/m);
  expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
});

test('stops cleanly on SIGTERM and gives its lease up', async () => {
  expect(await holderOf(`image-${namespace}`)).toBe(`image-${namespace}`);
  // The engine's stop sends SIGTERM and kills only after the timeout.
  const stopped = await container.stop({ timeout: 20_000, remove: false });
  const client = await getContainerRuntimeClient();
  const handle = client.container.getById(stopped.getId());
  try {
    expect((await client.container.inspect(handle)).State.ExitCode).toBe(0);
    // Read from the engine, which keeps a stopped container's whole log: the live stream may
    // not have handed over the last lines when the container is removed.
    const shutdownLog: string[] = [];
    const stream = await client.container.logs(handle);
    stream.on('data', (chunk: Buffer | string) => shutdownLog.push(chunk.toString()));
    try {
      await waitFor(
        'the shutdown line in the log of the stopped container',
        async () => (shutdownLog.join('').includes('"signal":"SIGTERM"') ? true : undefined),
        { timeoutMs: 10_000 },
      );
    } finally {
      stream.destroy();
    }
  } finally {
    await client.container.remove(handle);
  }
  expect(await holderOf(`image-${namespace}`)).toBeFalsy();
});
