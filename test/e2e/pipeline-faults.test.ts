// The pipeline under faults, end to end: what the EventSource answered with success takes effect
// exactly once, whatever happens behind it. A redelivery resumes nothing twice and does not hold
// up the next event of its trigger; an API server outage of minutes loses nothing; the Sensor
// SIGKILLed mid-stream, the EventSource restarted and nats-server restarted lose and double
// nothing; a labeled and an approving review that arrive together both take effect.
// PIPELINE_OUTAGE_SECONDS sets the outage (default 180).
import { join } from 'node:path';
import type { ResumeRequest } from '../../src/api/resume-request.js';
import type { DeliveryAnswer } from '../support/github-webhook.js';
import { operatorForFile, startOperator, waitUntilLeading } from '../support/operator.js';
import {
  kubectl,
  kubectlOk,
  pipeline,
  plane,
  projectRoot,
  run,
  waitFor,
  type PipelineProcess,
} from '../support/plane.js';
import {
  createdAtMs,
  requestOfDelivery,
  requestsOfDelivery,
  startPlay,
  SUSPEND_NODE,
  type Play,
  type Stage,
} from '../support/pipeline-plays.js';
import { waitForPhase } from '../support/resume-requests.js';
import { waitForSuspendAt, waitForWorkflowPhase } from '../support/workflows.js';

const OUTAGE_SECONDS = Number(process.env.PIPELINE_OUTAGE_SECONDS ?? 180);
/** How long the waits here allow: generous, since the suite shares a loaded 2-core machine. */
const WAIT_MS = 180_000;
const EVENT_TYPE: Record<Stage, string> = {
  opened: 'pr-created',
  ready: 'pr-labeled-ready',
  approved: 'pr-approved',
};

const file = operatorForFile('e2e-faults', { namespace: () => pipeline().namespace });

async function planeCommand(...args: string[]): Promise<void> {
  const result = await run(join(projectRoot, 'hack/plane'), [args[0]!, plane().dir, ...args.slice(1)], {
    timeoutMs: 300_000,
  });
  if (result.code !== 0) throw new Error(`hack/plane ${args.join(' ')} failed:\n${result.stderr}`);
}

/** Sends until the EventSource answers with success, as GitHub's redelivery would be asked to. */
async function sendUntilAnswered(play: Play, stage: Stage, deadlineMs = 120_000): Promise<DeliveryAnswer[]> {
  const answers: DeliveryAnswer[] = [];
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const last = answers.at(-1);
    // A redelivery keeps the delivery id, as GitHub's does.
    const answer = await play.send(
      stage,
      last ? { deliveryId: last.deliveryId, timeoutMs: 10_000 } : { timeoutMs: 10_000 },
    );
    answers.push(answer);
    if (answer.ok) return answers;
    if (Date.now() > deadline)
      throw new Error(`no success for ${play.name} ${stage}: ${JSON.stringify(answers)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function requestsIn(namespace: string): Promise<ResumeRequest[]> {
  return (
    JSON.parse(await kubectlOk(['-n', namespace, 'get', 'resumerequests', '-o', 'json'])) as {
      items: ResumeRequest[];
    }
  ).items;
}

/**
 * Every stage of every play resumed by exactly one request, and every request of a play final:
 * the exactly-once invariant, read from the API.
 */
async function expectExactlyOnce(plays: Play[], stages: Stage[]): Promise<void> {
  for (const play of plays)
    await waitForWorkflowPhase(
      play.namespace,
      play.name,
      stages.length === 3 ? 'Succeeded' : 'Running',
      WAIT_MS,
    );
  const requests = await waitFor(
    'every request of the plays final',
    async () => {
      const all = (await requestsIn(plays[0]!.namespace)).filter((r) =>
        plays.some((p) => p.task === r.status?.taskId),
      );
      return all.every((r) => ['Succeeded', 'Ignored', 'Failed'].includes(r.status?.phase ?? ''))
        ? all
        : undefined;
    },
    { timeoutMs: WAIT_MS },
  );
  for (const play of plays) {
    for (const stage of stages) {
      const resumed = requests.filter(
        (r) =>
          r.status?.taskId === play.task &&
          r.status?.eventType === EVENT_TYPE[stage] &&
          r.status?.phase === 'Succeeded' &&
          r.status?.resumeTime !== undefined,
      );
      expect([play.name, stage, resumed.length]).toEqual([play.name, stage, 1]);
    }
  }
  expect(requests.filter((r) => r.status?.phase === 'Failed')).toEqual([]);
}

describe('a redelivery', () => {
  it('resumes nothing twice and does not hold up the next event of its trigger', async () => {
    const [first, second] = await Promise.all([startPlay('redeliver-a'), startPlay('redeliver-b')]);
    await waitForSuspendAt(first!.namespace, first!.name, SUSPEND_NODE.opened, WAIT_MS);
    await waitForSuspendAt(second!.namespace, second!.name, SUSPEND_NODE.opened, WAIT_MS);
    const original = await first!.send('opened');
    expect(original.status).toBe(200);
    const resumed = await requestOfDelivery(first!.namespace, original.deliveryId);
    await waitForPhase(first!.namespace, resumed.metadata.name, 'Succeeded', WAIT_MS);

    const again = await first!.send('opened', { deliveryId: original.deliveryId });
    const next = await second!.send('opened');
    expect([again.status, next.status]).toEqual([200, 200]);
    const nextRequest = await requestOfDelivery(second!.namespace, next.deliveryId);
    const delayMs = createdAtMs(nextRequest) - next.sentAt;
    process.stdout.write(
      `next event of the trigger after a redelivery: ResumeRequest ${delayMs} ms after it was sent\n`,
    );
    expect(delayMs).toBeLessThan(5000);
    await waitForPhase(second!.namespace, nextRequest.metadata.name, 'Succeeded', WAIT_MS);
    await expectExactlyOnce([first!], ['opened']);
    // The redelivery became at most one more request, settled without a resume.
    const ofDelivery = await requestsOfDelivery(first!.namespace, original.deliveryId);
    expect(ofDelivery.filter((r) => r.status?.phase === 'Succeeded')).toHaveLength(1);
  });
});

describe('an API server outage', () => {
  it(
    `of ${OUTAGE_SECONDS} s loses nothing the EventSource acknowledged`,
    async () => {
      const plays = await Promise.all([1, 2, 3].map((i) => startPlay(`outage-${i}`)));
      for (const play of plays)
        await waitForSuspendAt(play.namespace, play.name, SUSPEND_NODE.opened, WAIT_MS);
      await planeCommand('stop', 'apiserver');
      const startedAt = Date.now();
      const answers: DeliveryAnswer[] = [];
      try {
        // Deliveries at the start, the middle and the end of the outage, each trigger behind a
        // failing create for minutes by the last one.
        answers.push(await plays[0]!.send('opened'));
        await new Promise((r) => setTimeout(r, (OUTAGE_SECONDS * 1000) / 2));
        answers.push(await plays[1]!.send('opened'));
        await new Promise((r) =>
          setTimeout(r, Math.max(0, startedAt + OUTAGE_SECONDS * 1000 - Date.now() - 5000)),
        );
        answers.push(await plays[2]!.send('opened'));
        await new Promise((r) => setTimeout(r, Math.max(0, startedAt + OUTAGE_SECONDS * 1000 - Date.now())));
      } finally {
        await planeCommand('start', 'apiserver');
      }
      await waitFor(
        'the API server to be ready again',
        async () => ((await kubectl(['get', '--raw', '/readyz'])).stdout === 'ok' ? true : undefined),
        { timeoutMs: 120_000 },
      );
      const restoredAt = Date.now();
      // The Argo controller's informers back off for minutes after the outage (new workflows went
      // unseen for a minute here); restarting it, as the soak does after each restart, leaves the
      // shared plane as responsive for the tests and files that run next as it was before.
      await planeCommand('stop', 'controller');
      await planeCommand('start', 'controller');
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      // An operator that could not renew its lease has exited, as it should; its Deployment would
      // start it again.
      const { operator } = file;
      if (operator.process.exitCode !== null || operator.process.signalCode !== null) {
        file.operator = await startOperator(`${operator.name}-again`, file.namespace);
        await waitUntilLeading(file.operator);
      }
      for (const [i, answer] of answers.entries()) {
        const request = await requestOfDelivery(plays[i]!.namespace, answer.deliveryId, WAIT_MS);
        await waitForPhase(plays[i]!.namespace, request.metadata.name, 'Succeeded', WAIT_MS);
      }
      process.stdout.write(
        `API server down ${((restoredAt - startedAt) / 1000).toFixed(0)} s; all ${answers.length} deliveries resumed ` +
          `${((Date.now() - restoredAt) / 1000).toFixed(1)} s after it returned\n`,
      );
      await expectExactlyOnce(plays, ['opened']);
    },
    (OUTAGE_SECONDS + 600) * 1000,
  );
});

describe('the pipeline’s processes killed and restarted mid-stream', () => {
  it('every delivery answered with success takes effect exactly once', async () => {
    const plays = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => startPlay(`chaos-${i}`)));
    const faults: [Stage, PipelineProcess, string][] = [
      ['opened', 'sensor', 'SIGKILL'],
      ['ready', 'eventsource', 'SIGTERM'],
      ['approved', 'nats-server', 'SIGTERM'],
    ];
    for (const [stage, process_, signal] of faults) {
      for (const play of plays)
        await waitForSuspendAt(play.namespace, play.name, SUSPEND_NODE[stage], WAIT_MS);
      const sent: Promise<DeliveryAnswer[]>[] = [];
      for (const [i, play] of plays.entries()) {
        if (i === plays.length / 2) {
          process.kill(pipeline().pid(process_), signal);
          // Restarted as soon as it is gone: `hack/plane start` relaunches it from its saved command.
          await waitFor(`${process_} to exit`, async () => {
            try {
              process.kill(pipeline().pid(process_), 0);
              return undefined;
            } catch {
              return true;
            }
          });
          await planeCommand('start', process_);
        }
        sent.push(sendUntilAnswered(play, stage));
        await new Promise((r) => setTimeout(r, 200));
      }
      const answered = await Promise.all(sent);
      let requests = 0;
      for (const [i, answers] of answered.entries()) {
        const ok = answers.at(-1)!;
        await requestOfDelivery(plays[i]!.namespace, ok.deliveryId, 120_000);
        requests += (await requestsOfDelivery(plays[i]!.namespace, ok.deliveryId)).length;
      }
      const failed = answered.flat().filter((answer) => !answer.ok).length;
      process.stdout.write(
        `${process_} ${signal}: ${plays.length} deliveries answered 200 after ${failed} failed attempts; ${requests} requests\n`,
      );
    }
    await expectExactlyOnce(plays, ['opened', 'ready', 'approved']);
  }, 900_000);
});

describe('a labeled and an approving review within milliseconds', () => {
  it('both take effect', async () => {
    const play = await startPlay('together');
    await waitForSuspendAt(play.namespace, play.name, SUSPEND_NODE.opened, WAIT_MS);
    const opened = await play.send('opened');
    await waitForPhase(
      play.namespace,
      (await requestOfDelivery(play.namespace, opened.deliveryId)).metadata.name,
      'Succeeded',
      WAIT_MS,
    );
    await waitForSuspendAt(play.namespace, play.name, SUSPEND_NODE.ready, WAIT_MS);
    const [ready, approved] = await Promise.all([play.send('ready'), play.send('approved')]);
    expect([ready.status, approved.status]).toEqual([200, 200]);
    for (const answer of [ready, approved]) {
      const request = await requestOfDelivery(play.namespace, answer.deliveryId);
      await waitForPhase(play.namespace, request.metadata.name, 'Succeeded', WAIT_MS);
    }
    await expectExactlyOnce([play], ['opened', 'ready', 'approved']);
  });
});
