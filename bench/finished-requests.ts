// Finished ResumeRequests for the scale profile's caches: created as a sensor would, then given
// the status of a request the operator resumed, as the operator writes it (through the status
// subresource). Created before the operator starts, so it finds them finished and leaves them.
import * as k8s from '@kubernetes/client-node';
import { API_VERSION, KIND, type ResumeRequest } from '../src/api/resume-request.js';
import type { Deadline } from './deadline.js';
import { runPool } from './pool.js';
import { requestCollection } from './resume-requests.js';

const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/** Writes in flight at once: enough to keep the apiserver busy, not enough to starve the plane. */
const WRITES_IN_FLIGHT = 16;

export async function createFinishedRequests(options: {
  kubeConfig: k8s.KubeConfig;
  namespace: string;
  count: number;
  deadline: Deadline;
}): Promise<void> {
  const { kubeConfig, namespace, count, deadline } = options;
  const api = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const names = Array.from({ length: count }, (_, i) => `done-${i + 1}`);
  const now = new Date().toISOString();
  await deadline.within(
    `${count} finished ResumeRequests to be written in ${namespace}`,
    runPool(names, WRITES_IN_FLIGHT, async (name) => {
      await api.createNamespacedCustomObject({
        ...requestCollection(namespace),
        body: {
          apiVersion: API_VERSION,
          kind: KIND,
          metadata: { name, namespace },
          spec: { taskId: name, eventType: 'pr-created', repository: 'acme-org/widgets', prNumber: 1 },
        } satisfies ResumeRequest,
      });
      await api.patchNamespacedCustomObjectStatus(
        {
          ...requestCollection(namespace),
          name,
          body: {
            status: {
              phase: 'Succeeded',
              reason: 'Resumed',
              message: `resumed wait-pr-created of workflow ${name}`,
              taskId: name,
              eventType: 'pr-created',
              workflowName: name,
              resumedNode: `${name}[0].wait-pr-created`,
              attempts: 1,
              startTime: now,
              resumeTime: now,
              completionTime: now,
              observedGeneration: 1,
            },
          },
        },
        mergePatch,
      );
    }),
  );
}
