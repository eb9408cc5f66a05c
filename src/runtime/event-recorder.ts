// Kubernetes Events on the ResumeRequest and on the workflow it acts on, so `kubectl describe`
// of either tells what happened. Recording is best effort: a failed event never fails a reconcile.
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { describeApiCall } from '../domain/errors.js';
import { eventName } from './event-name.js';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
}

export type EventSeverity = 'Normal' | 'Warning';

export class EventRecorder {
  constructor(
    private readonly api: k8s.CoreV1Api,
    private readonly component: string,
    private readonly instance: string,
    private readonly logger: Logger,
  ) {}

  async record(target: EventTarget, type: EventSeverity, reason: string, message: string): Promise<void> {
    const now = new Date();
    try {
      await this.api.createNamespacedEvent({
        namespace: target.namespace,
        body: {
          metadata: { name: eventName(target.name), namespace: target.namespace },
          involvedObject: {
            apiVersion: target.apiVersion,
            kind: target.kind,
            namespace: target.namespace,
            name: target.name,
            ...(target.uid ? { uid: target.uid } : {}),
          },
          type,
          reason,
          message: message.slice(0, 1024),
          source: { component: this.component },
          reportingComponent: this.component,
          reportingInstance: this.instance.slice(0, 128),
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (error) {
      this.logger.warn('could not record event', {
        reason,
        target: `${target.namespace}/${target.name}`,
        error: describeApiCall('create', 'events', target.namespace, error),
      });
    }
  }
}
