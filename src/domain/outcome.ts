// What a pure step says when it has settled the request without touching any workflow.
import type { Reason } from './reasons.js';

export interface Outcome {
  phase: 'Failed' | 'Ignored';
  reason: Reason;
  message: string;
}

export function isOutcome(value: object): value is Outcome {
  return 'phase' in value && 'reason' in value;
}
