// Everything a reconcile tells the world about a request, in one place: its status (one merge
// patch per decision), a Kubernetes Event, the requests_total metric and the log line.
import { GROUP, KIND, VERSION, type ResumeRequestStatus } from '../api/resume-request.js';
import type { Metrics } from '../observability/metrics.js';
import type { EventRecorder, EventSeverity } from '../runtime/event-recorder.js';
import { finished, type Finish } from './next-status.js';
import type { StatusWriter } from './status-writer.js';
import type { Turn } from './turn.js';

export interface ReporterContext {
  statusWriter: Pick<StatusWriter, 'write'>;
  events: Pick<EventRecorder, 'record'>;
  metrics: Metrics;
  /** Whether a request that Succeeded gets an Event too (the others always do). */
  succeededEvents: boolean;
}

export class RequestReporter {
  constructor(private readonly ctx: ReporterContext) {}

  async write(turn: Turn, status: ResumeRequestStatus): Promise<void> {
    await this.ctx.statusWriter.write(turn.request, status);
  }

  event(turn: Turn, severity: EventSeverity, reason: string, message: string): Promise<void> {
    const { metadata } = turn.request;
    return this.ctx.events.record(
      {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: KIND,
        namespace: turn.namespace,
        name: metadata.name!,
        ...(metadata.uid ? { uid: metadata.uid } : {}),
      },
      severity,
      reason,
      message,
    );
  }

  /** Settles the request: its final status, counted, logged and (unless it simply succeeded) announced. */
  async finish(turn: Turn, finish: Finish): Promise<void> {
    await this.write(turn, finished(turn.request, turn.ids, finish, turn.now));
    this.ctx.metrics.requestsTotal.inc({ phase: finish.phase, reason: finish.reason });
    turn.log.info('finished', {
      phase: finish.phase,
      reason: finish.reason,
      workflow: finish.workflowName,
      detail: finish.message,
    });
    if (finish.phase === 'Succeeded' && !this.ctx.succeededEvents) return;
    await this.event(turn, finish.phase === 'Failed' ? 'Warning' : 'Normal', finish.reason, finish.message);
  }
}
