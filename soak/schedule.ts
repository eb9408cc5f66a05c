// The fault schedule, planned up front from the seed (pure, so a run replays): every few
// seconds the next fault of a shuffled round of all kinds, until the play ends.
import { PLAY_FRACTION } from './histories.js';
import { Random } from '../bench/random.js';

export const FAULT_KINDS = [
  'sigkill-leader',
  'sigstop-leader',
  'apiserver-restart',
  'etcd-restart',
  'webhook-5xx',
  'webhook-429',
  'webhook-slow',
  'dropped-watches',
  'sensor-kill',
  'eventsource-restart',
  'nats-restart',
] as const;
/**
 * With the chart's Deployment on a node: its pods deleted and the Deployment rolled as well, and
 * no dropped watches (the pods reach the API server through the Service, not the soak's proxy).
 */
export const DEPLOYMENT_FAULT_KINDS = [
  ...FAULT_KINDS.filter((kind) => kind !== 'dropped-watches'),
  'delete-leader-pod',
  'rollout-restart',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number] | (typeof DEPLOYMENT_FAULT_KINDS)[number];

export interface ScheduledFault {
  atMs: number;
  kind: FaultKind;
}

/** Time between the starts of two faults. */
const SPACING_MS = 4000;
/**
 * With the chart's Deployment: a rolling restart or a control-plane restart on a node takes 25 to
 * 55 s, and a fault that overruns its slot delays the next, so faults start 20 s apart.
 */
export const DEPLOYMENT_SPACING_MS = 20_000;

export function chaosSchedule(
  seconds: number,
  seed: number,
  kinds: readonly FaultKind[] = FAULT_KINDS,
  spacingMs = SPACING_MS,
): ScheduledFault[] {
  const random = new Random(seed ^ 0x5eed);
  const startMs = Math.max(3000, seconds * 50);
  const endMs = seconds * 1000 * PLAY_FRACTION;
  const schedule: ScheduledFault[] = [];
  let round: FaultKind[] = [];
  for (let atMs = startMs; atMs < endMs; atMs += spacingMs) {
    if (round.length === 0) {
      round = [...kinds];
      for (let i = round.length - 1; i > 0; i--) {
        const j = random.int(0, i);
        [round[i], round[j]] = [round[j]!, round[i]!];
      }
    }
    schedule.push({ atMs, kind: round.pop()! });
  }
  return schedule;
}
