// Resumes through the Kubernetes API with the effect of `argo resume`. The usual write is one
// merge patch built from the copy the decision saw, preconditioned on its uid and resourceVersion
// (domain/resume-patch.ts): no read, and a workflow that changed since answers 409. Where a patch
// cannot express the resume (compressed node map, a global output), or there is no copy, it does
// what `argo resume` does: read the workflow, change the node and Update the whole object, after
// checking that the read is the version the decision saw.
import * as k8s from '@kubernetes/client-node';
import { WORKFLOW_GROUP, WORKFLOW_PLURAL, WORKFLOW_VERSION, type Workflow } from '../api/workflow.js';
import { applyResume, type MutationResult, type ResumeMutation } from '../domain/resume-mutation.js';
import { classifyError } from '../domain/errors.js';
import { Reason } from '../domain/reasons.js';
import { resumePatch } from '../domain/resume-patch.js';
import { apiCall, mergePatch } from '../runtime/api-call.js';
import { MERGE_PATCH, type KubeTransport } from '../runtime/kube-transport.js';
import {
  changedSinceDecision,
  decidedOnOlderCopy,
  uidPrecondition,
  type ResumeBackend,
  type ResumeResult,
  type ResumeTarget,
} from './backend.js';

const workflows = { group: WORKFLOW_GROUP, version: WORKFLOW_VERSION, plural: WORKFLOW_PLURAL } as const;

export class KubernetesBackend implements ResumeBackend {
  readonly name = 'kubernetes';

  /**
   * The usual patch goes through `transport` (runtime/kube-transport.ts), the rarer read and
   * Update through client-node. `maxNodeStatusBytes`: the most a compressed node map read for a
   * resume may inflate to.
   */
  constructor(
    private readonly api: k8s.CustomObjectsApi,
    private readonly transport: KubeTransport,
    private readonly maxNodeStatusBytes: number,
  ) {}

  async resume(target: ResumeTarget): Promise<ResumeResult> {
    const key = `${target.namespace}/${target.workflowName}`;
    const mutation: ResumeMutation = {
      nodeId: target.nodeId,
      parameters: target.parameters,
      markerKey: target.markerKey,
      markerValue: target.markerValue,
      ...(target.annotations === undefined ? {} : { annotations: target.annotations }),
      ...(target.keepWorkflowSuspended ? { keepWorkflowSuspended: true } : {}),
      message: target.message,
      now: target.now,
    };
    const copy = target.decidedOn;
    const planned = copy && resumePatch(copy, mutation);
    if (copy && planned) {
      if (!planned.ok || !planned.changed) return refusedOrUnchanged(planned);
      try {
        await apiCall('patch', 'workflows', key, () =>
          this.transport.request(
            'PATCH',
            `/apis/${WORKFLOW_GROUP}/${WORKFLOW_VERSION}/namespaces/${target.namespace}/${WORKFLOW_PLURAL}/${target.workflowName}`,
            // The resumed workflow comes back through the cache's watch; its copy here is not read.
            { body: planned.patch, contentType: MERGE_PATCH, discardAnswer: true },
          ),
        );
      } catch (error) {
        if (classifyError(error) !== 'conflict') throw error;
        // Replaced or changed since the copy: its resourceVersion can no longer match.
        return decidedOnOlderCopy(
          `workflow ${target.workflowName} changed since the decision (version ${copy.metadata.resourceVersion} is no longer current)`,
        );
      }
      return { outcome: 'resumed' };
    }
    const current = (await apiCall('get', 'workflows', key, () =>
      this.api.getNamespacedCustomObject({
        ...workflows,
        namespace: target.namespace,
        name: target.workflowName,
      }),
    )) as Workflow;
    const changed = changedSinceDecision(current, target);
    if (changed !== undefined) return decidedOnOlderCopy(changed);
    const result = applyResume(current, mutation, this.maxNodeStatusBytes);
    if (!result.ok || !result.changed) return refusedOrUnchanged(result);
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

/** What a resume that writes nothing means: refused, or for the core to judge again on fresh state. */
function refusedOrUnchanged(result: { ok: true } | Extract<MutationResult, { ok: false }>): ResumeResult {
  if (result.ok) return { outcome: 'stale' };
  // The node moved on since the decision (resumed by someone else, or the workflow replaced).
  if (result.reason === Reason.AlreadyResumed || result.reason === Reason.NoMatchingNode) {
    return { outcome: 'stale' };
  }
  return { outcome: 'rejected', reason: result.reason, message: result.message };
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
