// What one reconcile turn knows, passed whole to every step instead of long argument lists.
import type { ResumeRequest } from '../api/resume-request.js';
import type { Logger } from '../observability/logger.js';
import type { Resolved } from './next-status.js';

export interface Turn {
  /** The request as read at the start of the turn; every status write is made against it. */
  request: ResumeRequest;
  namespace: string;
  now: Date;
  log: Logger;
  /** Task id and event type as resolved so far (empty until the spec resolves). */
  ids: Resolved;
  /** Turns in a row that ended in "decide again" for this request. */
  stalledTurns: number;
}
