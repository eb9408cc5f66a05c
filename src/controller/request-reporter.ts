// Everything a reconcile tells the world about a request, in one place: its status (one merge
// patch per decision), a Kubernetes Event, the requests_total metric and the log line.
import { GROUP, KIND, VERSION, type ResumeRequest, type ResumeRequestStatus } from '../api/resume-request.js';
import type { Metrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import type { EventRecorder, EventType } from '../runtime/event-recorder.js';
import { finished, type Finish, type Resolved } from './next-status.js';
import type { StatusWriter } from './status-writer.js';

export interface ReporterContext {
  statusWriter: Pick<StatusWriter, 'write'>;
  events: Pick<EventRecorder, 'record'>;
  metrics: Metrics;
}

export class RequestReporter {
  constructor(private readonly ctx: ReporterContext) {}

  async write(request: ResumeRequest, status: ResumeRequestStatus): Promise<void> {
    await this.ctx.statusWriter.write(request, status);
  }

  event(request: ResumeRequest, type: EventType, reason: string, message: string): Promise<void> {
    return this.ctx.events.record(
      {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: KIND,
        namespace: request.metadata.namespace!,
        name: request.metadata.name!,
        ...(request.metadata.uid ? { uid: request.metadata.uid } : {}),
      },
      type,
      reason,
      message,
    );
  }

  /** Settles the request: its final status, counted, logged and announced. */
  async finish(request: ResumeRequest, ids: Resolved, finish: Finish, now: Date, log: Logger): Promise<void> {
    await this.write(request, finished(request, ids, finish, now));
    this.ctx.metrics.requestsTotal.inc({ phase: finish.phase, reason: finish.reason });
    log.info('finished', {
      phase: finish.phase,
      reason: finish.reason,
      workflow: finish.workflowName,
      detail: finish.message,
    });
    await this.event(
      request,
      finish.phase === 'Failed' ? 'Warning' : 'Normal',
      finish.reason,
      finish.message,
    );
  }
}
