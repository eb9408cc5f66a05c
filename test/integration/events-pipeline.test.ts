// The plane's Argo Events pipeline (hack/plane up --events): the real nats-server, EventSource and
// Sensor run from the shipped config/argo-events, each argo-events process in a network namespace
// of its own, the Sensor as its ServiceAccount. A signed delivery becomes a ResumeRequest; an
// unsigned or wrongly signed one is refused and creates nothing; a second plane's pipeline runs
// beside the first and `down` removes everything it added to the host.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { isAlive } from '../../bench/command.js';
import type { ResumeRequest } from '../../src/api/resume-request.js';
import * as github from '../fixtures/github/payloads.js';
import { deliver, signature256 } from '../support/github-webhook.js';
import { kubectlOk, pipeline, plane, projectRoot, run, waitFor } from '../support/plane.js';

const netnsOf = (pid: number) => readlinkSync(`/proc/${pid}/ns/net`);
const mountnsOf = (pid: number) => readlinkSync(`/proc/${pid}/ns/mnt`);

/** The ResumeRequests of the pipeline's namespace that carry `deliveryId`. */
async function requestsOf(namespace: string, deliveryId: string): Promise<ResumeRequest[]> {
  const list = JSON.parse(await kubectlOk(['-n', namespace, 'get', 'resumerequests', '-o', 'json'])) as {
    items: ResumeRequest[];
  };
  return list.items.filter((request) => request.spec.github?.deliveryId === deliveryId);
}

describe('the pipeline’s processes', () => {
  test('each argo-events process runs in a network namespace of its own; nats-server on the host', () => {
    const p = pipeline();
    const host = netnsOf(process.pid);
    const [eventsource, sensor, nats] = (['eventsource', 'sensor', 'nats-server'] as const).map(p.pid);
    expect(netnsOf(nats!)).toBe(host);
    expect(netnsOf(eventsource!)).not.toBe(host);
    expect(netnsOf(sensor!)).not.toBe(host);
    expect(netnsOf(eventsource!)).not.toBe(netnsOf(sensor!));
    // The EventSource sees its Secret in a mount namespace of its own; the host has no such path.
    expect(mountnsOf(eventsource!)).not.toBe(mountnsOf(process.pid));
    expect(() => readFileSync('/argo-events/secrets/github-webhook/secret')).toThrow();
    const secret = readFileSync(
      `/proc/${eventsource}/root/argo-events/secrets/github-webhook/secret`,
      'utf8',
    );
    expect(secret).toBe(p.webhook.secret);
    expect(secret.length).toBeGreaterThanOrEqual(32);
  });

  test('the Sensor authenticates as its ServiceAccount, not as admin', async () => {
    const kubeconfig = join(plane().dir, 'events/sensor.kubeconfig');
    const whoami = await run(plane().env.KUBECTL_BIN!, [
      '--kubeconfig',
      kubeconfig,
      'auth',
      'whoami',
      '-o',
      'json',
    ]);
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout).status.userInfo.username).toBe(
      `system:serviceaccount:${pipeline().namespace}:github-resume-sensor`,
    );
  });
});

describe('a delivery over HTTP', () => {
  test('signed with the webhook secret becomes a ResumeRequest of its delivery id', async () => {
    const { webhook, namespace } = pipeline();
    const answer = await deliver(webhook, 'pull_request', github.opened());
    expect(answer.status).toBe(200);
    const [request] = await waitFor(`a ResumeRequest of delivery ${answer.deliveryId}`, async () => {
      const found = await requestsOf(namespace, answer.deliveryId);
      return found.length > 0 ? found : undefined;
    });
    expect(Date.now() - answer.answeredAt).toBeLessThan(30_000);
    expect(request!.spec.github).toMatchObject({ event: 'pull_request', action: 'opened' });
    expect(request!.metadata.labels).toMatchObject({ 'events.argoproj.io/sensor': 'github-resume-requests' });
  });

  test.each([
    ['without a signature', null],
    ['signed with another secret', signature256('not-the-secret', '{}')],
    ['with a malformed signature', 'sha256=zz'],
  ])('%s is refused and creates nothing', async (_case, signature) => {
    const { webhook, namespace } = pipeline();
    const refused = await deliver(webhook, 'pull_request', github.opened(), { signature });
    expect(refused.ok).toBe(false);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    // A signed delivery sent after it is created: the pipeline has had its chance with the first.
    const later = await deliver(webhook, 'pull_request', github.opened());
    await waitFor('the signed delivery after it', async () =>
      (await requestsOf(namespace, later.deliveryId)).length > 0 ? true : undefined,
    );
    expect(await requestsOf(namespace, refused.deliveryId)).toEqual([]);
  });
});

describe('hack/plane up --events', () => {
  test('runs a second plane’s pipeline beside the first; down removes its processes and namespaces', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wro-plane-events-'));
    const script = join(projectRoot, 'hack/plane');
    try {
      const up = await run(script, ['up', dir, '--events'], { timeoutMs: 300_000 });
      if (up.code !== 0) throw new Error(`hack/plane up --events failed:\n${up.stderr}`);
      const env = Object.fromEntries(
        readFileSync(join(dir, 'env'), 'utf8')
          .split('\n')
          .filter((line) => line.includes('='))
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
      expect(env.GITHUB_WEBHOOK_URL).not.toBe(pipeline().webhook.url);
      expect(env.GITHUB_WEBHOOK_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/github\/pull-requests$/);
      const answer = await deliver(
        { url: env.GITHUB_WEBHOOK_URL!, secret: env.GITHUB_WEBHOOK_SECRET! },
        'pull_request',
        github.opened(),
        { deliveryId: randomUUID() },
      );
      expect(answer.status).toBe(200);
      // The first plane's pipeline still answers.
      expect((await deliver(pipeline().webhook, 'ping', github.ping())).status).toBe(200);

      const pids = ['nats-server', 'eventsource', 'sensor'].map((name) =>
        Number(readFileSync(join(dir, `${name}.pid`), 'utf8')),
      );
      const namespaces = readFileSync(join(dir, 'events/net.env'), 'utf8').match(/^(ES|SN)_NETNS=(.*)$/gm)!;
      expect(namespaces).toHaveLength(2);
      const down = await run(script, ['down', dir]);
      expect(down.code).toBe(0);
      expect(pids.filter((pid) => isAlive(pid))).toEqual([]);
      const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
      for (const line of namespaces) expect(left).not.toContain(line.split('=')[1]);
    } finally {
      await run(script, ['down', dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
