// The fault schedule, planned up front from the seed (pure, so a run replays): every few
// seconds the next fault of a shuffled round of all kinds, until the play ends.
import { PLAY_FRACTION } from './histories.js';
import { Random } from './random.js';

export const FAULT_KINDS = [
  'sigkill-leader',
  'sigstop-leader',
  'apiserver-restart',
  'etcd-restart',
  'webhook-5xx',
  'webhook-429',
  'webhook-slow',
  'dropped-watches',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ScheduledFault {
  atMs: number;
  kind: FaultKind;
}

/** Time between the starts of two faults. */
const SPACING_MS = 6000;

export function chaosSchedule(seconds: number, seed: number): ScheduledFault[] {
  const random = new Random(seed ^ 0x5eed);
  const startMs = Math.max(3000, seconds * 50);
  const endMs = seconds * 1000 * PLAY_FRACTION;
  const schedule: ScheduledFault[] = [];
  let round: FaultKind[] = [];
  for (let atMs = startMs; atMs < endMs; atMs += SPACING_MS) {
    if (round.length === 0) {
      round = [...FAULT_KINDS];
      for (let i = round.length - 1; i > 0; i--) {
        const j = random.int(0, i);
        [round[i], round[j]] = [round[j]!, round[i]!];
      }
    }
    schedule.push({ atMs, kind: round.pop()! });
  }
  return schedule;
}
