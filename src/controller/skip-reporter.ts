// What the operator says about an object its cache could not read: a warning in the log, the
// objects_skipped_total metric, and a Warning Event on the object, so `kubectl describe` of it
// tells its owner why the operator ignores it. The cache calls this once per resourceVersion.
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { EventRecorder } from '../runtime/event-recorder.js';
import type { RawObject } from '../runtime/list-watch.js';
import { UnreadableObject } from '../runtime/reflector.js';

export interface SkipReporterContext {
  logger: Logger;
  metrics: Pick<Metrics, 'objectsSkippedTotal'>;
  events: Pick<EventRecorder, 'record'>;
}

export function skipReporter(ctx: SkipReporterContext, kind: string, apiVersion: string) {
  return (raw: RawObject, error: unknown): void => {
    const reason = error instanceof UnreadableObject ? error.reason : 'Unreadable';
    const message = `skipped by workflow-resume-operator: ${error instanceof Error ? error.message : String(error)}`;
    const namespace = raw.metadata?.namespace ?? '';
    const name = raw.metadata?.name ?? '';
    ctx.metrics.objectsSkippedTotal.inc({ kind, reason });
    ctx.logger.warn('skipped an object that cannot be read', {
      kind,
      object: `${namespace}/${name}`,
      resourceVersion: raw.metadata?.resourceVersion,
      reason,
      error: message,
    });
    if (!namespace || !name) return;
    void ctx.events.record(
      { apiVersion, kind, namespace, name, ...(raw.metadata?.uid ? { uid: raw.metadata.uid } : {}) },
      'Warning',
      reason,
      message,
    );
  };
}
