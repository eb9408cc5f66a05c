// The dispatcher against a recording queue: which cache changes queue a request and how, and
// what each kind of turn result or error does to the key.
import type { ResumeRequest, ResumeRequestStatus } from '../../src/api/resume-request.js';
import { Dispatcher, type DispatchQueue } from '../../src/controller/dispatcher.js';
import type { TurnInput } from '../../src/controller/reconciler.js';
import {
  decideAgain,
  done,
  requeueAfter,
  settled,
  type ReconcileResult,
} from '../../src/controller/result.js';
import { WakeUps } from '../../src/controller/wake-ups.js';
import { defaultDomainConfig } from '../../src/domain/config.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { playWorkflow } from '../fixtures/play-workflows.js';

const now = new Date('2026-01-01T10:00:00Z');

function request(name: string, status?: ResumeRequestStatus, generation = 1): ResumeRequest {
  return {
    apiVersion: 'resume.workflows.dev/v1alpha1',
    kind: 'ResumeRequest',
    metadata: { name, namespace: 'ns', generation },
    spec: { taskId: '42', eventType: 'pr-created' },
    ...(status ? { status } : {}),
  };
}

function setup(turns: Array<ReconcileResult | Error> = []) {
  const calls: string[] = [];
  const inputs: TurnInput[] = [];
  const queue: DispatchQueue = {
    add: (key) => void calls.push(`add ${key}`),
    addAfter: (key, ms) => void calls.push(`addAfter ${key} ${ms}`),
    addUnlessPending: (key) => void calls.push(`addUnlessPending ${key}`),
    discardPendingRerun: (key) => void calls.push(`discardPendingRerun ${key}`),
  };
  const wakeUps = new WakeUps(defaultDomainConfig);
  const dispatcher = new Dispatcher({
    queue,
    wakeUps,
    reconcile: async (input) => {
      inputs.push(input);
      const next = turns.shift();
      if (!next) throw new Error('unexpected turn');
      if (next instanceof Error) throw next;
      return next;
    },
    errorBackoff: { initialMs: 500, maxMs: 60_000 },
    ttlSecondsAfterFinished: 60,
    now: () => now,
    logger: silentLogger(),
    metrics: createMetrics({ defaultMetrics: false }),
  });
  return { dispatcher, calls, inputs, wakeUps };
}

const finished = (completionTime: string): ResumeRequestStatus => ({
  phase: 'Succeeded',
  reason: 'Resumed',
  observedGeneration: 1,
  completionTime,
});

describe('Dispatcher: cache changes', () => {
  it('queues a new request at once, and lets a resync only nudge it', () => {
    const { dispatcher, calls } = setup();
    dispatcher.requestChanged('added', request('a'));
    dispatcher.requestChanged('resynced', request('a'));
    expect(calls).toEqual(['add ns/a', 'addUnlessPending ns/a']);
  });

  it('ignores its own status writes coming back, but not a new generation', () => {
    const { dispatcher, calls } = setup();
    dispatcher.requestChanged('modified', request('a', { phase: 'Waiting', observedGeneration: 1 }));
    dispatcher.requestChanged('modified', request('a', { phase: 'Waiting', observedGeneration: 1 }, 2));
    expect(calls).toEqual(['add ns/a']);
  });

  it('never queues a finished request on a change or a resync, and schedules the TTL of one first seen finished without a turn', () => {
    const { dispatcher, calls, inputs } = setup();
    const tenSecondsAgo = new Date(now.getTime() - 10_000).toISOString();
    dispatcher.requestChanged('added', request('a', finished(tenSecondsAgo)));
    dispatcher.requestChanged('resynced', request('a', finished(tenSecondsAgo)));
    dispatcher.requestChanged('modified', request('a', finished(tenSecondsAgo)));
    expect(calls).toEqual(['addAfter ns/a 50000']);
    expect(inputs).toEqual([]);
  });

  it('wakes the requests of a changed workflow’s task, nudging them only on a resync', () => {
    const { dispatcher, calls } = setup();
    dispatcher.requestChanged('added', request('a'));
    calls.length = 0;
    const workflow = playWorkflow({ namespace: 'ns', taskId: '42' });
    dispatcher.workflowChanged('modified', workflow, undefined);
    dispatcher.workflowChanged('resynced', workflow, workflow);
    expect(calls).toEqual(['add ns/a', 'addUnlessPending ns/a']);
  });
});

describe('Dispatcher: turns', () => {
  it('does what the result says: nothing, or come back after the delay', async () => {
    const { dispatcher, calls } = setup([done, requeueAfter(1500)]);
    await dispatcher.process('ns/a');
    await dispatcher.process('ns/a');
    expect(calls).toEqual(['addAfter ns/a 1500']);
  });

  it('on settled: no more wake-ups, no re-run for wake-ups during the turn, and the TTL timer', async () => {
    const { dispatcher, calls } = setup([settled(60_000)]);
    dispatcher.requestChanged('added', request('a'));
    calls.length = 0;
    await dispatcher.process('ns/a');
    dispatcher.workflowChanged('modified', playWorkflow({ namespace: 'ns', taskId: '42' }), undefined);
    expect(calls).toEqual(['discardPendingRerun ns/a', 'addAfter ns/a 60000']);
  });

  it('backs off each decide-again, tells the reconciler how many came in a row, and forgets them after progress', async () => {
    const { dispatcher, calls, inputs } = setup([
      decideAgain('stale'),
      decideAgain('stale'),
      decideAgain('stale'),
      requeueAfter(10),
      decideAgain('stale'),
    ]);
    for (let i = 0; i < 5; i += 1) await dispatcher.process('ns/a');
    expect(calls).toEqual([
      'addAfter ns/a 200',
      'addAfter ns/a 400',
      'addAfter ns/a 800',
      'addAfter ns/a 10',
      'addAfter ns/a 200',
    ]);
    expect(inputs.map((input) => input.stalledTurns)).toEqual([0, 1, 2, 3, 0]);
  });

  it('backs off thrown errors, conflicts included, never requeueing at once', async () => {
    const conflict = Object.assign(new Error('conflict'), { code: 409 });
    const { dispatcher, calls } = setup([conflict, conflict, new Error('bug'), done, conflict]);
    for (let i = 0; i < 5; i += 1) await dispatcher.process('ns/a');
    expect(calls).toEqual([
      'addAfter ns/a 500',
      'addAfter ns/a 1000',
      'addAfter ns/a 2000',
      'addAfter ns/a 500',
    ]);
  });
});
