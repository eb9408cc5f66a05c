// ResumeRequests as a sensor or a GitOps tool would create them: one per event, naming the task
// and the event type, created as the plane's admin.
import * as k8s from '@kubernetes/client-node';
import {
  API_VERSION,
  GROUP,
  KIND,
  PLURAL,
  VERSION,
  isTerminalPhase,
  type ResumeRequest,
} from '../src/api/resume-request.js';

export const requestCollection = (namespace: string) => ({
  group: GROUP,
  version: VERSION,
  plural: PLURAL,
  namespace,
});

export async function createPrCreatedRequest(
  api: k8s.CustomObjectsApi,
  namespace: string,
  name: string,
  taskId: string,
): Promise<void> {
  await api.createNamespacedCustomObject({
    ...requestCollection(namespace),
    body: {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name, namespace },
      spec: { taskId, eventType: 'pr-created' },
    } satisfies ResumeRequest,
  });
}

export const hasSucceeded = (request: ResumeRequest) => request.status?.phase === 'Succeeded';

/** A request that settled any other way will never resume its workflow. */
export const settledOtherwise = (request: ResumeRequest): string | undefined => {
  const phase = request.status?.phase;
  if (phase === 'Succeeded' || !isTerminalPhase(phase)) return undefined;
  return `settled as ${phase} (${request.status?.reason}: ${request.status?.message})`;
};
