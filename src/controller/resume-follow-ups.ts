// What follows a resume once it is on the workflow: the older duplicates the policy stops, the
// `Resumed` Event on the workflow (when asked for) and the time-to-resume metrics. They run after
// the resume and before the request's status says Succeeded; a request that finds its own resume
// already on the workflow (its marker) runs them again, so an operator stopped between the resume
// and the status write (a crash, a lost lease) loses none of them. Within one process they run once
// per request, so a status write that failed after the resume does not count the resume twice in
// the metrics; a new leader runs them again (stops are idempotent, a repeated Event is counted on
// the one recorded).
import type { FollowUps } from '../domain/decision.js';
import { describeError } from '../domain/errors.js';
import type { ResumeBackend } from '../backends/backend.js';
import type { Metrics } from '../observability/metrics.js';
import type { EventRecorder } from '../runtime/event-recorder.js';
import type { Turn } from './turn.js';

export interface FollowUpContext {
  /** Whether each resume is also recorded as an Event on the workflow. */
  workflowEvents: boolean;
  backend: Pick<ResumeBackend, 'stop'>;
  events: Pick<EventRecorder, 'record'>;
  metrics: Pick<Metrics, 'durationSeconds' | 'latencySeconds'>;
}

const workflowRef = (namespace: string, name: string) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  namespace,
  name,
});

/** How many requests' follow-ups are remembered as done: far more than settle between two writes. */
const REMEMBERED = 4096;

export class ResumeFollowUps {
  /** Requests (by uid) whose follow-ups this process has run, oldest first. */
  private readonly done = new Set<string>();

  constructor(private readonly ctx: FollowUpContext) {}

  async run(turn: Turn, workflowName: string, followUps: FollowUps): Promise<void> {
    const { request, namespace, now, log } = turn;
    const id = request.metadata.uid ?? `${namespace}/${request.metadata.name}`;
    if (this.done.has(id)) return;
    this.done.add(id);
    if (this.done.size > REMEMBERED) this.done.delete(this.done.values().next().value!);
    this.observeLatency(request.metadata.creationTimestamp, followUps, now);
    for (const { name, uid } of followUps.stopWorkflows) {
      // Best effort: a failure is logged and never undoes the resume.
      try {
        await this.ctx.backend.stop(namespace, name, uid);
        log.info('stopped older duplicate workflow', { workflow: name, kept: workflowName });
        await this.ctx.events.record(
          workflowRef(namespace, name),
          'Normal',
          'StoppedAsDuplicate',
          `stopped: ${workflowName} is newer and was resumed`,
        );
      } catch (error) {
        log.warn('could not stop older duplicate workflow', { workflow: name, error: describeError(error) });
      }
    }
    if (this.ctx.workflowEvents) {
      await this.ctx.events.record(
        workflowRef(namespace, workflowName),
        'Normal',
        'Resumed',
        `node ${followUps.nodeName} resumed by ResumeRequest ${namespace}/${request.metadata.name}`,
      );
    }
  }

  /**
   * duration_seconds counts from the request's creation, so an event that came before its stage
   * includes the wait; latency_seconds counts from when the resume became possible: the later of
   * the request's creation and the suspend node's start (the stage being reached), which is what
   * a latency objective can hold the operator to.
   */
  private observeLatency(creationTimestamp: string | undefined, followUps: FollowUps, now: Date): void {
    const created = Date.parse(creationTimestamp ?? '');
    if (!Number.isFinite(created)) return;
    const resumed = Date.parse(followUps.resumedAt ?? '') || now.getTime();
    const seconds = (from: number) => Math.max(0, (resumed - from) / 1000);
    this.ctx.metrics.durationSeconds.observe(seconds(created));
    const reached = Date.parse(followUps.reachedAt ?? '');
    this.ctx.metrics.latencySeconds.observe(
      seconds(Number.isFinite(reached) ? Math.max(created, reached) : created),
    );
  }
}
