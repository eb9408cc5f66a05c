// What the workflow cache keeps of each play Workflow: identity, labels, the marker annotations
// and the approval gate's, spec.suspend/shutdown, the phase, and only the Suspend nodes
// (decompressed when Argo compressed them). Decisions need no more, and a workflow with thousands of pod nodes then
// costs the cache a few hundred bytes. Resumes re-read the full object before writing.
import type { Workflow, WorkflowNode } from '../api/workflow.js';
import type { DomainConfig } from '../domain/config.js';
import { readNodes } from '../domain/compressed-nodes.js';

export function projectWorkflow(workflow: Workflow, config: DomainConfig): Workflow {
  const { metadata, spec, status } = workflow;
  const annotations = Object.fromEntries(
    Object.entries(metadata.annotations ?? {}).filter(
      ([key]) => key.startsWith(config.markerAnnotationPrefix) || key === config.requiredApprovalsKey,
    ),
  );
  const projected: Workflow = {
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      ...(metadata.uid ? { uid: metadata.uid } : {}),
      ...(metadata.resourceVersion ? { resourceVersion: metadata.resourceVersion } : {}),
      ...(metadata.creationTimestamp ? { creationTimestamp: metadata.creationTimestamp } : {}),
      ...(metadata.labels ? { labels: metadata.labels } : {}),
      annotations,
    },
    spec: {
      ...(spec?.suspend !== undefined ? { suspend: spec.suspend } : {}),
      ...(spec?.shutdown !== undefined ? { shutdown: spec.shutdown } : {}),
    },
  };
  if (!status) return projected;
  projected.status = {
    ...(status.phase !== undefined ? { phase: status.phase } : {}),
    ...(status.offloadNodeStatusVersion ? { offloadNodeStatusVersion: status.offloadNodeStatusVersion } : {}),
  };
  const read = readNodes(workflow);
  if (!read.ok) {
    // Keep what makes it unreadable, so the decision reports the same reason a full read would.
    if (status.compressedNodes) projected.status.compressedNodes = status.compressedNodes;
    return projected;
  }
  const suspendNodes: Record<string, WorkflowNode> = {};
  for (const [id, node] of Object.entries(read.nodes)) {
    if (node.type === 'Suspend') suspendNodes[id] = node;
  }
  projected.status.nodes = suspendNodes;
  return projected;
}
