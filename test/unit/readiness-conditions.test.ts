import type { ResumeRequestStatus } from '../../src/api/resume-request.js';
import { withReadinessConditions } from '../../src/controller/readiness-conditions.js';

const t0 = new Date('2026-01-01T00:00:00Z');
const t1 = new Date('2026-01-01T00:05:00Z');
const byType = (status: ResumeRequestStatus) =>
  Object.fromEntries((status.conditions ?? []).map((condition) => [condition.type, condition]));

describe('withReadinessConditions', () => {
  it.each([
    ['Waiting', 'False', 'True', 'False'],
    ['Resuming', 'False', 'True', 'False'],
    ['Succeeded', 'True', 'False', 'False'],
    ['Ignored', 'True', 'False', 'False'],
    ['Failed', 'False', 'False', 'True'],
  ] as const)('%s: Ready %s, Reconciling %s, Stalled %s', (phase, ready, reconciling, stalled) => {
    const conditions = byType(
      withReadinessConditions({ phase, reason: 'Resumed', message: 'm', observedGeneration: 3 }, t0),
    );
    expect(conditions.Ready).toEqual({
      type: 'Ready',
      status: ready,
      reason: 'Resumed',
      message: 'm',
      lastTransitionTime: t0.toISOString(),
      observedGeneration: 3,
    });
    expect(conditions.Reconciling?.status).toBe(reconciling);
    expect(conditions.Stalled?.status).toBe(stalled);
  });

  it('keeps the transition time while a condition holds, and other conditions untouched', () => {
    const circuit = {
      type: 'CircuitOpen',
      status: 'True' as const,
      reason: 'CircuitOpen',
      message: 'open',
      lastTransitionTime: t0.toISOString(),
    };
    const first = withReadinessConditions(
      { phase: 'Waiting', reason: 'StageNotReached', conditions: [circuit] },
      t0,
    );
    const second = withReadinessConditions({ ...first, phase: 'Resuming', reason: 'RetryScheduled' }, t1);
    const third = withReadinessConditions({ ...second, phase: 'Succeeded', reason: 'Resumed' }, t1);
    expect(byType(second).Reconciling?.lastTransitionTime).toBe(t0.toISOString());
    expect(byType(second).Ready?.reason).toBe('RetryScheduled');
    expect(byType(third).Ready?.lastTransitionTime).toBe(t1.toISOString());
    expect(byType(third).CircuitOpen).toEqual(circuit);
    expect(third.conditions).toHaveLength(4);
  });
});
