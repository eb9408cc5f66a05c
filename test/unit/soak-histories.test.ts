import {
  chaosSchedule,
  DEPLOYMENT_FAULT_KINDS,
  DEPLOYMENT_SPACING_MS,
  FAULT_KINDS,
  type FaultKind,
} from '../../soak/schedule.js';
import { buildReport } from '../../soak/report.js';
import { Ledger } from '../../soak/ledger.js';
import { planHistories, PLAY_FRACTION, REFUSED_KINDS, VALID_KINDS } from '../../soak/histories.js';

describe('the soak histories', () => {
  const plans = planHistories({ tasks: 200, seconds: 60, seed: 1, outsiders: 'all' });
  const deliveries = plans.flatMap((plan) => plan.deliveries);

  it('replay exactly from the seed', () => {
    expect(planHistories({ tasks: 200, seconds: 60, seed: 1, outsiders: 'all' })).toEqual(plans);
    expect(planHistories({ tasks: 200, seconds: 60, seed: 2, outsiders: 'all' })).not.toEqual(plans);
  });

  it('give every live run a valid event for each of its stages, within the play', () => {
    for (const plan of plans) {
      const live = plan.runs.filter((run) => run.live);
      expect(live).toHaveLength(1);
      for (let stage = 0; stage < 3; stage++) {
        const valid = plan.deliveries.filter(
          (d) => d.run === live[0]!.name && d.stage === stage && (d.kind === 'valid' || d.kind === 'manual'),
        );
        expect(valid.length).toBeGreaterThanOrEqual(1);
      }
    }
    expect(Math.max(...deliveries.map((d) => d.atMs))).toBeLessThanOrEqual(60_000 * PLAY_FRACTION);
  });

  it('hold every kind of disorder, and redeliveries repeat an earlier delivery id', () => {
    const kinds = new Set(deliveries.map((d) => d.kind));
    for (const kind of [...VALID_KINDS, ...REFUSED_KINDS, 'unrelated-label', 'non-approving-review'] as const)
      expect(kinds).toContain(kind);
    expect(plans.some((plan) => plan.runs.length === 2)).toBe(true);
    for (const redelivery of deliveries.filter((d) => d.kind === 'redelivery')) {
      const original = deliveries.find(
        (d) => d.deliveryId === redelivery.deliveryId && d.kind !== 'redelivery',
      );
      expect(original!.atMs).toBeLessThan(redelivery.atMs);
    }
  });

  it('send only the outsiders the operator can refuse today when asked to', () => {
    const today = planHistories({ tasks: 200, seconds: 60, seed: 1, outsiders: 'repository' });
    const outsiders = new Set(
      today
        .flatMap((plan) => plan.deliveries)
        .filter((d) => REFUSED_KINDS.has(d.kind))
        .map((d) => d.kind),
    );
    expect([...outsiders]).toEqual(['foreign-repository']);
  });
});

describe('the chaos schedule', () => {
  it('injects every kind of fault in a 60-second run, spaced, within the play', () => {
    const schedule = chaosSchedule(60, 1);
    expect(new Set(schedule.map((fault) => fault.kind))).toEqual(new Set(FAULT_KINDS));
    expect(schedule.at(-1)!.atMs).toBeLessThan(60_000 * PLAY_FRACTION);
  });

  it('against the chart’s Deployment, also deletes the leader’s pod and rolls the Deployment, and drops no watch', () => {
    const kinds = new Set(
      chaosSchedule(300, 1, DEPLOYMENT_FAULT_KINDS, DEPLOYMENT_SPACING_MS).map((fault) => fault.kind),
    );
    expect(kinds).toEqual(new Set(DEPLOYMENT_FAULT_KINDS));
    expect(kinds).toContain('delete-leader-pod');
    expect(kinds).toContain('rollout-restart');
    expect(kinds).not.toContain('dropped-watches');
  });
});

describe('the soak report', () => {
  const report = (faultKinds: readonly FaultKind[], injected: [FaultKind, number][]) =>
    buildReport({
      seconds: 300,
      tasks: 1,
      ledger: new Ledger(),
      requests: 0,
      chaos: { injected: new Map(injected), replicaExits: 0, pipelineExits: 0, droppedWatchStreams: 0 },
      faultKinds,
      resumes: 0,
      violations: [],
      latencies: [],
    });

  it('counts every kind of fault its schedule draws from, pod deletions and rollouts on a node too', () => {
    const onNode = report(DEPLOYMENT_FAULT_KINDS, [
      ['delete-leader-pod', 2],
      ['rollout-restart', 1],
      ['sigkill-leader', 3],
    ]);
    expect(Object.keys(onNode.faults)).toEqual([...DEPLOYMENT_FAULT_KINDS]);
    expect(onNode.faults).toMatchObject({
      'delete-leader-pod': 2,
      'rollout-restart': 1,
      'sigkill-leader': 3,
    });
    expect(onNode.faults['sigstop-leader']).toBe(0);
    expect(Object.keys(report(FAULT_KINDS, []).faults)).toEqual([...FAULT_KINDS]);
  });
});
