// The operator as platform teams deploy it: the image from `make image`, installed on a real
// node with `helm install` (and, last, with the kustomize install). Two Ready pods, one leader,
// in-cluster configuration through the kubernetes Service; requests in flight through a
// force-deleted leader, a killed container, a rolling restart and a `helm upgrade`, each request
// final and each stage resumed once; the kubelet's SIGTERM hands the lease over at once; readiness
// waits for the caches; a stopped event loop fails liveness; hostile workflows under the memory
// limit restart nothing. The plays whose stages run as container steps are resumed by the pod.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Workflow } from '../../src/api/workflow.js';
import {
  getPods,
  nodePlaneForFile,
  planeCommand,
  signalContainer,
  waitForReadyPods,
} from '../support/node-plane.js';
import {
  allowExecutor,
  finishPlays,
  outcomes,
  sendStage,
  sendStageForAll,
  startPlays,
  stepsPlay,
  waitFinal,
} from '../support/node-plays.js';
import {
  createNamespace,
  GiveUp,
  kubectl,
  kubectlOk,
  plane,
  projectRoot,
  run,
  waitFor,
} from '../support/plane.js';
import { createResumeRequest } from '../support/resume-requests.js';
import { createWorkflow, playWorkflow, waitForWorkflowPhase } from '../support/workflows.js';

const image = process.env.OPERATOR_IMAGE ?? 'localhost/workflow-resume-operator:dev';
const [repository, tag] = [image.slice(0, image.lastIndexOf(':')), image.slice(image.lastIndexOf(':') + 1)];
const chart = join(projectRoot, 'charts/workflow-resume-operator');
const RELEASE = 'wro';
const SELECTOR = 'app.kubernetes.io/name=workflow-resume-operator';
/** The chart names the Lease after the release; config/default keeps the operator's default. */
const leaseIn = (namespace: string) =>
  namespace === system ? `${RELEASE}-workflow-resume-operator` : 'workflow-resume-operator';

const node = nodePlaneForFile();
let system: string;
let plays: string;

async function helm(args: string[]): Promise<string> {
  const result = await run(join(projectRoot, 'hack/tool'), ['helm', ...args], {
    env: { KUBECONFIG: plane().kubeconfigPath },
    timeoutMs: 600_000,
  });
  if (result.code !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

/** `helm upgrade` of the release with the test's values and `extra` settings. */
const upgrade = (...extra: string[]) => helm(['upgrade', RELEASE, chart, ...chartValues(), ...extra]);

const chartValues = () => [
  '--namespace',
  system,
  '--set',
  `image.repository=${repository}`,
  '--set',
  `image.tag=${tag}`,
  '--set',
  'image.pullPolicy=Never',
  '--set',
  `watchNamespaces={${plays}}`,
];

async function leaseHolder(namespace = system): Promise<string | undefined> {
  const result = await kubectl([
    '-n',
    namespace,
    'get',
    'lease',
    leaseIn(namespace),
    '-o',
    'jsonpath={.spec.holderIdentity}',
  ]);
  return result.code === 0 && result.stdout ? result.stdout : undefined;
}

/** The pod that holds the lease, once a Ready pod does. */
async function leader(namespace = system, timeoutMs = 90_000) {
  return waitFor(
    'a Ready pod to hold the lease',
    async () => {
      const holder = await leaseHolder(namespace);
      const pods = await getPods(namespace, SELECTOR);
      return pods.find((pod) => pod.metadata.name === holder && pod.ready && !pod.metadata.deletionTimestamp);
    },
    { timeoutMs, intervalMs: 250 },
  );
}

async function podMetrics(namespace: string, name: string): Promise<string> {
  const pod = JSON.parse(await kubectlOk(['-n', namespace, 'get', 'pod', name, '-o', 'json']));
  // The host reaches pod addresses through the node (the route hack/plane adds).
  return (
    await fetch(`http://${pod.status.podIP}:8080/metrics`, { signal: AbortSignal.timeout(5000) })
  ).text();
}

/** Two Ready pods, exactly one leading by its own metrics, the lease naming it. */
async function expectOneLeader(namespace: string): Promise<string> {
  const pods = await waitForReadyPods(namespace, SELECTOR, 2, 180_000);
  const current = await leader(namespace);
  const leading = await waitFor('exactly one pod to report leading', async () => {
    const flags = await Promise.all(
      pods.map(async (pod) =>
        /^workflow_resume_leader 1$/m.test(await podMetrics(namespace, pod.metadata.name)),
      ),
    );
    return flags.filter(Boolean).length === 1 ? pods.filter((_, i) => flags[i]) : undefined;
  });
  expect(leading.map((pod) => pod.metadata.name)).toEqual([current.metadata.name]);
  return current.metadata.name;
}

beforeAll(async () => {
  const loaded = await planeCommand(['load', node.dir, image], {}, 600_000);
  if (loaded.code !== 0) throw new Error(`hack/plane load failed (run make image first):\n${loaded.stderr}`);
  system = await createNamespace('wro-system');
  plays = await createNamespace('plays');
  await allowExecutor(plays);
}, 15 * 60_000);

describe('installed with helm', () => {
  beforeAll(async () => {
    // The plane installed the CRD before the chart, which takes it over (kept on uninstall).
    await helm([
      'install',
      RELEASE,
      chart,
      ...chartValues(),
      '--take-ownership',
      '--wait',
      '--timeout',
      '5m',
    ]);
  }, 10 * 60_000);

  test('helm test finds a ready replica of the chart’s version behind the metrics Service', async () => {
    await expectOneLeader(system);
    // The test pod exits non-zero unless /readyz answers and the build info names this version.
    const output = await helm(['test', RELEASE, '--namespace', system, '--timeout', '3m']);
    expect(output).toMatch(/Phase:\s+Succeeded/);
  });

  test('two Ready pods, one leader, configured in-cluster through the kubernetes Service', async () => {
    const leaderName = await expectOneLeader(system);
    const pod = JSON.parse(await kubectlOk(['-n', system, 'get', 'pod', leaderName, '-o', 'json']));
    expect(pod.spec.nodeName).toBe(plane().env.NODE_NAME);
    // The pod's only way to the API server is the Service address, through kube-proxy on the node.
    const endpoints = await kubectlOk([
      'get',
      'endpointslices',
      '-n',
      'default',
      '-l',
      'kubernetes.io/service-name=kubernetes',
      '-o',
      'jsonpath={.items[0].endpoints[0].addresses[0]}',
    ]);
    expect(endpoints).toBe('10.250.78.1');
    const log = await kubectlOk(['-n', system, 'logs', leaderName]);
    expect(log).toMatch(/became leader/);
    expect(log).not.toMatch(/KUBECONFIG/);
  });

  test('a play whose stages run as container steps is resumed by the pod, stage by stage, to Succeeded', async () => {
    await createWorkflow(plays, stepsPlay('steps', '901'));
    for (let stage = 0; stage < 3; stage++) {
      await sendStage(plays, 'steps', '901', stage);
      const request = await waitFinal(
        plays,
        `steps-${['pr-created', 'pr-labeled-ready', 'pr-approved'][stage]}`,
      );
      expect(request.status).toMatchObject({ phase: 'Succeeded', reason: 'Resumed', workflowName: 'steps' });
    }
    const workflow = await waitForWorkflowPhase(plays, 'steps', 'Succeeded', 240_000);
    const steps = Object.values(workflow.status?.nodes ?? {}).filter((n) => n.type === 'Pod');
    expect(steps.map((n) => `${n.displayName}:${n.phase}`).sort()).toEqual([
      'completion:Succeeded',
      'implementation:Succeeded',
      'quality:Succeeded',
      'testing:Succeeded',
    ]);
    const completion = steps.find((n) => n.displayName === 'completion') as unknown as {
      outputs: { parameters: { name: string; value: string }[] };
    };
    expect(completion.outputs.parameters[0]!.value).toBe(
      'completion after testing after quality after implementation after start',
    );
    const pods = await kubectlOk(['-n', plays, 'get', 'pods', '-o', 'jsonpath={.items[*].status.phase}']);
    expect(pods.split(' ')).toEqual(['Succeeded', 'Succeeded', 'Succeeded', 'Succeeded']);
  });

  describe('with requests in flight, every request final and every stage resumed once through', () => {
    const faults: [string, () => Promise<void>][] = [
      [
        'the leader pod force-deleted',
        async () => {
          const current = await leader();
          await kubectlOk([
            '-n',
            system,
            'delete',
            'pod',
            current.metadata.name,
            '--grace-period=0',
            '--force',
          ]);
        },
      ],
      [
        'the leader’s container killed',
        async () => {
          const current = await leader();
          await signalContainer(current.containerId!, 'SIGKILL');
        },
      ],
      [
        'a rolling restart',
        async () => {
          await kubectlOk([
            '-n',
            system,
            'rollout',
            'restart',
            `deployment/${RELEASE}-workflow-resume-operator`,
          ]);
        },
      ],
      [
        'a helm upgrade to a changed configuration',
        async () => {
          await upgrade('--set', 'settings.concurrency=4', '--set', 'settings.logLevel=debug');
        },
      ],
    ];
    test.each(faults)('%s', async (_name, inject) => {
      const run = await startPlays(plays, `f${faults.findIndex(([n]) => n === _name)}`, 4);
      await sendStageForAll(run, 0);
      await inject();
      const requests = await finishPlays(run, 1);
      expect(outcomes(requests)).toEqual({ 'Succeeded/Resumed': 12 });
      await expectOneLeader(system);
    });
  });

  test('the kubelet’s SIGTERM drains the leader and the standby leads within 2 s', async () => {
    const current = await expectOneLeader(system);
    const deleted = Date.now();
    // A graceful delete: the kubelet sends SIGTERM and waits the grace period.
    const deletion = kubectlOk(['-n', system, 'delete', 'pod', current, '--wait=false']);
    const next = await waitFor(
      'another pod to hold the lease',
      async () => {
        const holder = await leaseHolder();
        return holder && holder !== current ? holder : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 50 },
    );
    const handoverMs = Date.now() - deleted;
    await deletion;
    console.log(`lease handed from ${current} to ${next} ${handoverMs} ms after the delete`);
    expect(handoverMs).toBeLessThan(2000);
    await expectOneLeader(system);
  });

  test('a stopped event loop fails liveness and the kubelet restarts the container', async () => {
    const current = await leader();
    await signalContainer(current.containerId!, 'SIGSTOP');
    const restarted = await waitFor(
      `the kubelet to restart ${current.metadata.name}`,
      async () => {
        const pod = (await getPods(system, SELECTOR)).find((p) => p.metadata.name === current.metadata.name);
        return pod && pod.restarts > current.restarts ? pod : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 1000 },
    );
    expect(restarted.restarts).toBe(current.restarts + 1);
    const events = await kubectlOk([
      '-n',
      system,
      'get',
      'events',
      '--field-selector',
      `involvedObject.name=${current.metadata.name}`,
    ]);
    expect(events).toMatch(/Liveness probe failed/);
    await expectOneLeader(system);
  });

  test('readiness stays false until the caches sync', async () => {
    // The operator may not list workflows in the watched namespace: a new leader cannot fill its
    // cache, so it stays unready (and alive) until the permission comes back.
    const binding = await kubectlOk([
      '-n',
      plays,
      'get',
      'rolebinding',
      `${RELEASE}-workflow-resume-operator-namespaced`,
      '-o',
      'json',
    ]);
    const current = await leader();
    const standby = (await getPods(system, SELECTOR)).find((p) => p.metadata.name !== current.metadata.name);
    const standbyName = standby?.metadata.name;
    await kubectlOk(['-n', plays, 'delete', 'rolebinding', `${RELEASE}-workflow-resume-operator-namespaced`]);
    await kubectlOk(['-n', system, 'delete', 'pod', current.metadata.name, '--grace-period=0', '--force']);
    await waitFor(
      'the standby to lead',
      async () => ((await leaseHolder()) === standbyName ? true : undefined),
      { timeoutMs: 60_000 },
    );
    await waitFor(
      `${standbyName} to be reported not Ready`,
      async () => {
        const pod = (await getPods(system, SELECTOR)).find((p) => p.metadata.name === standbyName);
        return pod && !pod.ready ? pod : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const file = join(node.dir, `binding-${process.pid}.json`);
    const restored = JSON.parse(binding);
    delete restored.metadata.resourceVersion;
    delete restored.metadata.uid;
    writeFileSync(file, JSON.stringify(restored));
    await kubectlOk(['apply', '-f', file]);
    const ready = await waitFor(
      `${standbyName} to be Ready once its caches sync`,
      async () => {
        const pod = (await getPods(system, SELECTOR)).find((p) => p.metadata.name === standbyName);
        return pod?.ready ? pod : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    // Unready all along, and never restarted: liveness holds while the caches cannot sync.
    expect(ready.restarts).toBe(standby?.restarts);
    await expectOneLeader(system);
  });

  // Each bomb's inflation is bounded (per workflow and per namespace and minute), so 30 of them
  // stay under the chart's memory limit.
  test('hostile workflows whose status inflates hugely restart nothing under the memory limit', async () => {
    const hostile = await createNamespace('bombs');
    await upgrade('--set', `watchNamespaces={${plays},${hostile}}`, '--wait');
    await expectOneLeader(system);
    const before = new Map((await getPods(system, SELECTOR)).map((p) => [p.metadata.name, p.restarts]));
    // Each about 22 KB as stored; its node status inflates to 16 MB.
    const nodes = {
      s: {
        id: 's',
        name: 's',
        displayName: 'wait-pr-created',
        type: 'Suspend',
        phase: 'Running',
        message: 'a'.repeat(16_000_000),
      },
    };
    const bomb = gzipSync(JSON.stringify(nodes), { level: 9 }).toString('base64');
    try {
      for (let i = 0; i < 30; i++) {
        const workflow = playWorkflow(`bomb-${i}`, {
          'task-id': '666',
          'workflows.argoproj.io/controller-instanceid': 'nobody',
        });
        await createWorkflow(hostile, {
          ...workflow,
          status: { phase: 'Running', compressedNodes: bomb },
        } as Workflow);
        await createResumeRequest(hostile, `bomb-${i}`, { taskId: '666', eventType: 'pr-created' });
      }
      // Meanwhile a tenant's play is resumed as usual, and no container restarts, for any reason.
      let settled = false;
      const calm = startPlays(plays, 'calm', 1).then((run) => finishPlays(run, 0));
      const watch = waitFor(
        'an operator container to restart',
        async () => {
          if (settled) throw new GiveUp('the test has finished');
          const restarted = (await getPods(system, SELECTOR)).find(
            (pod) => pod.restarts > (before.get(pod.metadata.name) ?? 0) || pod.lastTerminationReason,
          );
          if (!restarted) return undefined;
          // What the container said last, so that a restart names its cause.
          const previous = await kubectl([
            '-n',
            system,
            'logs',
            restarted.metadata.name,
            '--previous',
            '--tail=15',
          ]);
          return `${restarted.metadata.name} restarted (${restarted.lastTerminationReason ?? 'running again'}):\n${previous.stdout}${previous.stderr}`;
        },
        { timeoutMs: 600_000, intervalMs: 1000 },
      );
      const first = await Promise.race([
        calm.then((requests) => ({ requests })),
        watch.then((restart) => ({ restart })),
      ]);
      settled = true;
      // The loser of the race ends on its own; its outcome is no longer asked for.
      calm.catch(() => undefined);
      watch.catch(() => undefined);
      expect(first).not.toHaveProperty('restart');
      expect(outcomes((first as { requests: Parameters<typeof outcomes>[0] }).requests)).toEqual({
        'Succeeded/Resumed': 3,
      });
      for (let i = 0; i < 30; i++) await waitFinal(hostile, `bomb-${i}`, 120_000);
      const after = await getPods(system, SELECTOR);
      expect(
        after.map((pod) => [pod.restarts - (before.get(pod.metadata.name) ?? 0), pod.lastTerminationReason]),
      ).toEqual(after.map(() => [0, undefined]));
    } finally {
      // The bombs go, whatever happened: the installs after this one must not meet them.
      await kubectlOk(['-n', hostile, 'delete', 'workflows,resumerequests', '--all', '--wait=false']);
    }
  });

  afterAll(async () => {
    await helm(['uninstall', RELEASE, '--namespace', system, '--wait']).catch(() => undefined);
  }, 300_000);
});

describe('installed with kustomize (config/default)', () => {
  const namespace = 'workflow-resume-system';

  beforeAll(async () => {
    // The shipped kustomization with the local image in place of the published one: its tag is
    // not `latest`, so the kubelet uses the loaded image and pulls nothing.
    const rendered = await kubectlOk(['kustomize', join(projectRoot, 'config/default')]);
    const published = /image: ghcr\.io\/workflow-resume-operator\/operator:\S+/;
    expect(rendered).toMatch(published);
    await kubectlOk(
      ['apply', '--server-side', '--force-conflicts', '-f', '-'],
      rendered.replace(published, `image: ${image}`),
    );
  }, 10 * 60_000);

  test('two Ready pods, one leader, requests resumed by the pod', async () => {
    await expectOneLeader(namespace);
    const run = await startPlays(plays, 'kz', 2);
    const requests = await finishPlays(run, 0);
    expect(outcomes(requests)).toEqual({ 'Succeeded/Resumed': 6 });
  });
});
