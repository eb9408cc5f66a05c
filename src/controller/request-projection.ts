// What the request cache keeps of each ResumeRequest: identity, spec without its free-form
// eventPayload, and status. Anyone who can create a request in any namespace fills this cache,
// so it must not hold what the operator does not read from it: managedFields, annotations such
// as kubectl's last-applied copy of the whole object, and an eventPayload that may be as large
// as etcd admits. A rule that reads the payload reads the request whole from the API.
//
// A finished request is only waiting for its TTL, and finished requests are most of the cache
// (kept for a week by default), so of those it keeps the identity, the phase and reason, the
// task and the completion time, its own TTL and whether Argo CD or Flux tracks it: what the TTL,
// the wake-up indexes and the logs read.
import { isTerminalPhase, type ResumeRequest } from '../api/resume-request.js';
import { trackingMetadata } from './retention.js';

export function projectRequest(raw: unknown): ResumeRequest {
  const request = raw as ResumeRequest;
  const { metadata, status } = request;
  const spec = { ...request.spec };
  delete spec.eventPayload;
  const finished = status?.phase !== undefined && isTerminalPhase(status.phase);
  return {
    apiVersion: request.apiVersion,
    kind: request.kind,
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      ...(metadata.uid ? { uid: metadata.uid } : {}),
      ...(metadata.resourceVersion ? { resourceVersion: metadata.resourceVersion } : {}),
      ...(metadata.generation !== undefined ? { generation: metadata.generation } : {}),
      ...(metadata.creationTimestamp ? { creationTimestamp: metadata.creationTimestamp } : {}),
      ...(metadata.deletionTimestamp ? { deletionTimestamp: metadata.deletionTimestamp } : {}),
      ...trackingMetadata(metadata),
    },
    spec: finished
      ? spec.ttlSecondsAfterFinished === undefined
        ? {}
        : { ttlSecondsAfterFinished: spec.ttlSecondsAfterFinished }
      : spec,
    ...(!status
      ? {}
      : finished
        ? {
            status: {
              phase: status.phase,
              ...(status.reason === undefined ? {} : { reason: status.reason }),
              ...(status.taskId === undefined ? {} : { taskId: status.taskId }),
              ...(status.completionTime === undefined ? {} : { completionTime: status.completionTime }),
            },
          }
        : { status }),
  };
}
