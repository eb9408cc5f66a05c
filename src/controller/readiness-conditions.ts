// kstatus conditions (Ready, Reconciling, Stalled), derived from the phase and written with the
// status, so that `kubectl wait --for=condition=Ready`, Flux's and Argo CD's health checks can
// tell a request that waits or resumes from one that finished or failed. Each carries the
// generation it describes: a tool compares it with metadata.generation before trusting it.
import type { Condition, ResumeRequestStatus } from '../api/resume-request.js';

export const READINESS_CONDITION_TYPES = ['Ready', 'Reconciling', 'Stalled'] as const;

type Readiness = Record<(typeof READINESS_CONDITION_TYPES)[number], Condition['status']>;

function readinessOf(phase: ResumeRequestStatus['phase']): Readiness {
  switch (phase) {
    case 'Succeeded':
    case 'Ignored':
      return { Ready: 'True', Reconciling: 'False', Stalled: 'False' };
    case 'Failed':
      return { Ready: 'False', Reconciling: 'False', Stalled: 'True' };
    default:
      return { Ready: 'False', Reconciling: 'True', Stalled: 'False' };
  }
}

/**
 * The status with its readiness conditions set from its phase, reason and message. A condition
 * keeps its lastTransitionTime while its status stays the same; other conditions are kept.
 */
export function withReadinessConditions(status: ResumeRequestStatus, now: Date): ResumeRequestStatus {
  const readiness = readinessOf(status.phase);
  const previous = status.conditions ?? [];
  const types: readonly string[] = READINESS_CONDITION_TYPES;
  const next = READINESS_CONDITION_TYPES.map((type): Condition => {
    const before = previous.find((condition) => condition.type === type);
    const value = readiness[type];
    return {
      type,
      status: value,
      reason: status.reason ?? status.phase ?? 'Pending',
      message: status.message ?? '',
      lastTransitionTime: before && before.status === value ? before.lastTransitionTime : now.toISOString(),
      ...(status.observedGeneration !== undefined ? { observedGeneration: status.observedGeneration } : {}),
    };
  });
  return { ...status, conditions: [...previous.filter((c) => !types.includes(c.type)), ...next] };
}
