// Resumes through the Kubernetes API, the way `argo resume` does: read the workflow, change the
// suspend node, and write the whole object back (an Update, never a partial patch, because a
// patch to status.nodes of a workflow whose nodes are compressed corrupts it). The read must be
// the workflow the decision saw (same uid and resourceVersion), and its uid and resourceVersion
// travel with the write, so a concurrent change makes it fail with 409.
import * as k8s from '@kubernetes/client-node';
import type { Workflow } from '../api/workflow.js';
import { applyResume } from '../domain/resume-mutation.js';
import { Reason } from '../domain/reasons.js';
import { apiCall } from '../runtime/api-call.js';
import {
  changedSinceDecision,
  decidedOnOlderCopy,
  uidPrecondition,
  type ResumeBackend,
  type ResumeResult,
  type ResumeTarget,
} from './backend.js';

const workflows = { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflows' } as const;
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

export class KubernetesBackend implements ResumeBackend {
  readonly name = 'kubernetes';

  constructor(private readonly api: k8s.CustomObjectsApi) {}

  async resume(target: ResumeTarget): Promise<ResumeResult> {
    const key = `${target.namespace}/${target.workflowName}`;
    const current = (await apiCall('get', 'workflows', key, () =>
      this.api.getNamespacedCustomObject({
        ...workflows,
        namespace: target.namespace,
        name: target.workflowName,
      }),
    )) as Workflow;
    const changed = changedSinceDecision(current, target);
    if (changed !== undefined) return decidedOnOlderCopy(changed);
    const result = applyResume(current, {
      nodeId: target.nodeId,
      parameters: target.parameters,
      markerKey: target.markerKey,
      markerValue: target.markerValue,
      message: target.message,
      now: target.now,
    });
    // The node moved on since the decision (resumed by someone else, or the workflow replaced):
    // that is for the core to judge on fresh state, not a refusal.
    if (!result.ok && (result.reason === Reason.AlreadyResumed || result.reason === Reason.NoMatchingNode)) {
      return { outcome: 'stale' };
    }
    if (!result.ok) return { outcome: 'rejected', reason: result.reason, message: result.message };
    if (!result.changed) return { outcome: 'stale' };
    await apiCall('update', 'workflows', key, () =>
      this.api.replaceNamespacedCustomObject({
        ...workflows,
        namespace: target.namespace,
        name: target.workflowName,
        body: result.workflow,
      }),
    );
    return { outcome: 'resumed' };
  }

  stop(namespace: string, workflowName: string, uid?: string): Promise<void> {
    return stopWorkflow(this.api, namespace, workflowName, uid);
  }
}

/** `argo stop` as a merge patch, refused by the API server when the uid is not the workflow's. */
export async function stopWorkflow(
  api: k8s.CustomObjectsApi,
  namespace: string,
  workflowName: string,
  uid: string | undefined,
): Promise<void> {
  await apiCall('patch', 'workflows', `${namespace}/${workflowName}`, () =>
    api.patchNamespacedCustomObject(
      {
        ...workflows,
        namespace,
        name: workflowName,
        body: { ...uidPrecondition(uid), spec: { shutdown: 'Stop' } },
      },
      mergePatch,
    ),
  );
}
