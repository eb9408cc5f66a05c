// What the request cache keeps of each ResumeRequest: identity, spec without its free-form
// eventPayload, and status. Anyone who can create a request in any namespace fills this cache,
// so it must not hold what the operator does not read from it: managedFields, annotations such
// as kubectl's last-applied copy of the whole object, and an eventPayload that may be as large
// as etcd admits. A rule that reads the payload reads the request whole from the API.
import type { ResumeRequest } from '../api/resume-request.js';

export function projectRequest(raw: unknown): ResumeRequest {
  const request = raw as ResumeRequest;
  const { metadata } = request;
  const spec = { ...request.spec };
  delete spec.eventPayload;
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
    },
    spec,
    ...(request.status ? { status: request.status } : {}),
  };
}
