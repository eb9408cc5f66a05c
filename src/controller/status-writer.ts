// Writes a ResumeRequest's status through the status subresource with a JSON merge patch that
// carries the resourceVersion the decision was made on: if the request changed meanwhile the
// write fails with 409 and the reconcile runs again on fresh state. Fields the new status no
// longer has are sent as null, so the patch replaces the status rather than merging into it.
// Every status is fitted to the CRD's limits first (status-limits.ts).
import {
  GROUP,
  PLURAL,
  VERSION,
  type ResumeRequest,
  type ResumeRequestStatus,
} from '../api/resume-request.js';
import { apiCall } from '../runtime/api-call.js';
import { MERGE_PATCH, type KubeTransport } from '../runtime/kube-transport.js';
import { fitStatus } from './status-limits.js';

export function statusPatch(request: ResumeRequest, next: ResumeRequestStatus): Record<string, unknown> {
  const status: Record<string, unknown> = { ...fitStatus(next) };
  for (const key of Object.keys(request.status ?? {})) {
    if (!(key in status)) status[key] = null;
  }
  return { metadata: { resourceVersion: request.metadata.resourceVersion }, status };
}

export class StatusWriter {
  constructor(private readonly transport: KubeTransport) {}

  async write(request: ResumeRequest, next: ResumeRequestStatus): Promise<ResumeRequest> {
    const { namespace, name } = request.metadata;
    return apiCall('patch', 'resumerequests/status', `${namespace}/${name}`, () =>
      this.transport.request<ResumeRequest>(
        'PATCH',
        `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}/${name}/status`,
        { body: statusPatch(request, next), contentType: MERGE_PATCH },
      ),
    );
  }
}
