// Kubernetes Events on the ResumeRequest and on the workflow it acts on, so `kubectl describe`
// of either tells what happened. An Event repeated on the same object is counted on the one
// already recorded, and a flood of Events on one object is cut off (event-correlator.ts).
// Recording is best effort: a failed Event never fails a reconcile.
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { classifyError, describeApiCall } from '../domain/errors.js';
import { mergePatch } from './api-call.js';
import { systemClock, type Clock } from './clock.js';
import { EventCorrelator, type CorrelatedEvent } from './event-correlator.js';
import { eventName } from './event-name.js';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
}

export type EventSeverity = 'Normal' | 'Warning';

const MESSAGE_MAX = 1024;

export class EventRecorder {
  private readonly correlator: EventCorrelator;

  constructor(
    private readonly api: k8s.CoreV1Api,
    private readonly component: string,
    private readonly instance: string,
    private readonly logger: Logger,
    private readonly clock: Pick<Clock, 'now'> = systemClock,
  ) {
    this.correlator = new EventCorrelator(clock);
  }

  async record(target: EventTarget, type: EventSeverity, reason: string, message: string): Promise<void> {
    const event: CorrelatedEvent = {
      namespace: target.namespace,
      kind: target.kind,
      name: target.name,
      ...(target.uid ? { uid: target.uid } : {}),
      type,
      reason,
      message: message.slice(0, MESSAGE_MAX),
    };
    const correlation = this.correlator.correlate(event);
    if (correlation.action === 'drop') {
      this.logger.debug('event dropped: too many on one object', {
        reason,
        target: `${target.namespace}/${target.name}`,
      });
      return;
    }
    const now = new Date(this.clock.now());
    let verb = 'create';
    try {
      if (correlation.action === 'update') {
        verb = 'patch';
        if (await this.raiseCount(target.namespace, correlation.name, correlation.count, now)) return;
        verb = 'create';
      }
      const name = eventName(target.name);
      await this.api.createNamespacedEvent({
        namespace: target.namespace,
        body: {
          metadata: { name, namespace: target.namespace },
          involvedObject: {
            apiVersion: target.apiVersion,
            kind: target.kind,
            namespace: target.namespace,
            name: target.name,
            ...(target.uid ? { uid: target.uid } : {}),
          },
          type,
          reason,
          message: event.message,
          source: { component: this.component },
          reportingComponent: this.component,
          reportingInstance: this.instance.slice(0, 128),
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
      this.correlator.created(event, name, now);
    } catch (error) {
      this.logger.warn('could not record event', {
        reason,
        target: `${target.namespace}/${target.name}`,
        error: describeApiCall(verb, 'events', target.namespace, error),
      });
    }
  }

  /** Counts a repeat on the Event already recorded; false when that Event has expired meanwhile. */
  private async raiseCount(namespace: string, name: string, count: number, now: Date): Promise<boolean> {
    try {
      await this.api.patchNamespacedEvent(
        { namespace, name, body: { count, lastTimestamp: now } },
        mergePatch,
      );
      return true;
    } catch (error) {
      if (classifyError(error) === 'not-found') return false;
      throw error;
    }
  }
}
