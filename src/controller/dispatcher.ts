// The dispatcher: everything about *when* a request is reconciled. It turns cache changes into
// queue entries through the wake-up indexes, runs a turn for a key, and acts on what the turn
// returns (requeue, settle, decide again with backoff) or throws (backoff). The reconciler decides
// what happens; only this file touches the queue, the per-key backoff and the indexes.
import { isTerminalPhase, type ResumeRequest } from '../api/resume-request.js';
import type { Workflow } from '../api/workflow.js';
import { classifyError, describeError } from '../domain/errors.js';
import type { Logger } from '../observability/logger.js';
import { CONTROLLER_NAME, type Metrics } from '../observability/metrics.js';
import { KeyedBackoff, type BackoffPolicy } from '../runtime/backoff.js';
import { objectKey, type ChangeType } from '../runtime/reflector.js';
import type { WorkQueue } from '../runtime/work-queue.js';
import type { TurnInput } from './reconciler.js';
import { expiresInMs } from './retention.js';
import type { ReconcileResult } from './result.js';
import type { WakeUps } from './wake-ups.js';

/** Per-key backoff between turns whose target moved under the write (see MAX_STALLED_TURNS). */
export const DECIDE_AGAIN_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 30_000 };

export type DispatchQueue = Pick<WorkQueue, 'add' | 'addAfter' | 'addUnlessPending' | 'discardPendingRerun'>;

export interface DispatcherOptions {
  queue: DispatchQueue;
  wakeUps: WakeUps;
  reconcile: (input: TurnInput) => Promise<ReconcileResult>;
  errorBackoff: BackoffPolicy;
  ttlSecondsAfterFinished: number;
  now: () => Date;
  logger: Logger;
  metrics: Pick<Metrics, 'reconcileErrorsTotal' | 'reconcileTotal' | 'reconcileTimeSeconds' | 'workqueue'>;
}

const controller = CONTROLLER_NAME;

export class Dispatcher {
  private readonly errorBackoff: KeyedBackoff;
  private readonly decideAgainBackoff = new KeyedBackoff(DECIDE_AGAIN_BACKOFF);

  constructor(private readonly options: DispatcherOptions) {
    this.errorBackoff = new KeyedBackoff(options.errorBackoff);
  }

  /** One turn for `key`, and what follows from it. Never throws. */
  async process(key: string): Promise<void> {
    const { queue, logger, metrics } = this.options;
    let result: ReconcileResult;
    const stopTimer = metrics.reconcileTimeSeconds.startTimer({ controller });
    try {
      result = await this.options.reconcile({ key, stalledTurns: this.decideAgainBackoff.failuresOf(key) });
    } catch (error) {
      stopTimer();
      metrics.reconcileTotal.inc({ controller, result: 'error' });
      return this.failed(key, error);
    }
    stopTimer();
    metrics.reconcileTotal.inc({
      controller,
      result:
        result.kind === 'requeue' ? 'requeue_after' : result.kind === 'decide-again' ? 'requeue' : 'success',
    });
    this.errorBackoff.forget(key);
    if (result.kind === 'decide-again') {
      metrics.workqueue.retriesTotal.inc({ name: controller, controller });
      const delay = this.decideAgainBackoff.next(key);
      logger.debug('target moved, deciding again', { request: key, retryInMs: delay, detail: result.detail });
      return queue.addAfter(key, delay);
    }
    this.decideAgainBackoff.forget(key);
    switch (result.kind) {
      case 'done':
        return;
      case 'requeue':
        return queue.addAfter(key, result.afterMs);
      case 'settled':
        // Wake-ups that arrived during this turn (its own resume's workflow change among them)
        // are about the outcome just written.
        this.options.wakeUps.requestSettled(key);
        queue.discardPendingRerun(key);
        if (result.expireAfterMs !== undefined) queue.addAfter(key, result.expireAfterMs);
        return;
    }
  }

  private failed(key: string, error: unknown): void {
    const kind = classifyError(error);
    this.options.metrics.reconcileErrorsTotal.inc({ kind });
    const delay = this.errorBackoff.next(key);
    this.options.metrics.workqueue.retriesTotal.inc({ name: controller, controller });
    // A conflict or a vanished object means our read was stale (normally our own earlier
    // write): look again on fresh state, after the same per-key backoff as any other error so
    // that it can never spin. Other errors are API or programming errors, retried the same way
    // and visible in logs and metrics; outcomes retrying cannot change are statuses, not errors.
    const level =
      kind === 'conflict' || kind === 'not-found' ? 'debug' : kind === 'terminal' ? 'error' : 'warn';
    this.options.logger.log(level, 'reconcile failed, requeueing', {
      request: key,
      kind,
      retryInMs: delay,
      error: describeError(error),
    });
    this.options.queue.addAfter(key, delay);
  }

  requestChanged(type: ChangeType, request: ResumeRequest): void {
    const { queue, wakeUps } = this.options;
    const key = objectKey(request);
    if (type === 'deleted') {
      wakeUps.requestSettled(key);
      this.errorBackoff.forget(key);
      this.decideAgainBackoff.forget(key);
      return;
    }
    for (const other of wakeUps.requestSeen(request)) queue.add(other);
    const phase = request.status?.phase;
    if (phase && isTerminalPhase(phase)) {
      // A finished request needs one thing: deletion when its TTL runs out. Its timer was set
      // when it settled; a resync or its own status write coming back leaves it alone, and a
      // request first seen finished (after a restart) gets its timer from the cached copy,
      // without a read.
      if (type !== 'added') return;
      const remaining = expiresInMs(request, this.options.ttlSecondsAfterFinished, this.options.now());
      if (remaining !== undefined) queue.addAfter(key, remaining);
      return;
    }
    // Our own status writes come back as modifications; only a changed generation needs a turn.
    if (type === 'modified' && request.status?.observedGeneration === request.metadata.generation) return;
    // A resync is a safety net: it makes sure every unsettled request has a turn coming, without
    // cutting short the wait (a retry delay, the recheck) one already has.
    if (type === 'resynced') return queue.addUnlessPending(key);
    queue.add(key);
  }

  workflowChanged(type: ChangeType, workflow: Workflow, previous: Workflow | undefined): void {
    const woken = this.options.wakeUps.workflowChanged(type === 'deleted' ? undefined : workflow, previous);
    for (const key of woken) {
      if (type === 'resynced') this.options.queue.addUnlessPending(key);
      else this.options.queue.add(key);
    }
  }
}
