// What the workflow cache keeps of each play Workflow: identity, labels, the marker annotations
// and the approval gate's, spec.suspend/shutdown, the phase, and only the Suspend nodes
// (decompressed when Argo compressed them, which the copy records). Decisions need no more, and a
// workflow with thousands of pod nodes then costs the cache a few hundred bytes. A resume is a
// merge patch built from this copy (domain/resume-patch.ts), or a read and a whole write where a
// patch cannot express it.
//
// A Workflow's status is written by whoever can write the Workflow (the CRD has no status
// subresource), so it is read as untrusted input: a node map that is not a map of node objects,
// that inflates past the byte limit or holds more nodes than the node limit, or compressed data
// that is not gzip, makes the projection throw UnreadableObject. The cache then skips the
// workflow and reports it; nothing downstream ever sees it.
import { z } from 'zod';
import type { Workflow, WorkflowNode } from '../api/workflow.js';
import type { DomainConfig } from '../domain/config.js';
import { decompressNodes, nodesStoredCompressed } from '../domain/compressed-nodes.js';
import { UnreadableObject } from '../runtime/reflector.js';

export interface ProjectionLimits {
  /** Most nodes a workflow's node map may hold. */
  maxNodes: number;
  /** Most bytes `status.compressedNodes` may inflate to. */
  maxInflatedBytes: number;
}

export const SkipReason = {
  InvalidNodeStatus: 'InvalidNodeStatus',
  InvalidCompressedNodes: 'InvalidCompressedNodes',
  NodeStatusTooLarge: 'NodeStatusTooLarge',
} as const;

// Go writes an unset time (and some unset strings) as null rather than leaving it out.
const text = z.string().max(4096).nullish();
const parameters = z.object({
  parameters: z.array(z.looseObject({ name: z.string(), value: text })).nullish(),
});

/** The fields of a Suspend node the decision and the resume read, with the types they expect. */
const suspendNodeSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  type: z.literal('Suspend'),
  displayName: text,
  phase: text,
  templateName: text,
  templateRef: z.looseObject({ name: text, template: text }).nullish(),
  startedAt: text,
  finishedAt: text,
  boundaryID: text,
  message: z.string().nullish(),
  inputs: parameters.loose().nullish(),
  outputs: parameters.loose().nullish(),
});

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function nodeMap(
  workflow: Workflow,
  limits: ProjectionLimits,
): { nodes: Record<string, unknown>; compressed: boolean } {
  const status = workflow.status!;
  const inline: unknown = status.nodes;
  if (inline !== undefined && inline !== null && !isRecord(inline))
    throw new UnreadableObject(SkipReason.InvalidNodeStatus, 'status.nodes is not a map of nodes');
  if (!nodesStoredCompressed(status)) return { nodes: inline ?? {}, compressed: false };
  if (typeof status.compressedNodes !== 'string')
    throw new UnreadableObject(SkipReason.InvalidCompressedNodes, 'status.compressedNodes is not a string');
  try {
    return { nodes: decompressNodes(status.compressedNodes, limits.maxInflatedBytes), compressed: true };
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new UnreadableObject(
        SkipReason.NodeStatusTooLarge,
        `status.compressedNodes inflates past ${limits.maxInflatedBytes} bytes`,
      );
    throw new UnreadableObject(
      SkipReason.InvalidCompressedNodes,
      `status.compressedNodes is not base64 of gzip of a JSON map: ${(error as Error).message}`,
    );
  }
}

/** The Suspend nodes of a node map, each checked; throws UnreadableObject on any bad node. */
function suspendNodes(
  nodes: Record<string, unknown>,
  limits: ProjectionLimits,
): Record<string, WorkflowNode> {
  const ids = Object.keys(nodes);
  if (ids.length > limits.maxNodes)
    throw new UnreadableObject(
      SkipReason.NodeStatusTooLarge,
      `the node map holds ${ids.length} nodes, more than the limit of ${limits.maxNodes}`,
    );
  const kept: Record<string, WorkflowNode> = {};
  for (const id of ids) {
    const node = nodes[id];
    if (!isRecord(node) || typeof node.type !== 'string')
      throw new UnreadableObject(
        SkipReason.InvalidNodeStatus,
        `node ${JSON.stringify(id.slice(0, 100))} is not a node`,
      );
    if (node.type !== 'Suspend') continue;
    const parsed = suspendNodeSchema.safeParse(node);
    const problem = parsed.success
      ? parsed.data.id === id
        ? undefined
        : 'its id is not its key in the node map'
      : parsed.error.issues
          .slice(0, 3)
          .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
          .join('; ');
    if (problem)
      throw new UnreadableObject(
        SkipReason.InvalidNodeStatus,
        `suspend node ${JSON.stringify(id.slice(0, 100))} cannot be read: ${problem}`,
      );
    kept[id] = node as WorkflowNode;
  }
  return kept;
}

export function projectWorkflow(
  workflow: Workflow,
  config: DomainConfig,
  limits: ProjectionLimits,
): Workflow {
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
  if (!isRecord(status)) throw new UnreadableObject(SkipReason.InvalidNodeStatus, 'status is not an object');
  projected.status = {
    ...(typeof status.phase === 'string' ? { phase: status.phase } : {}),
    ...(status.offloadNodeStatusVersion
      ? { offloadNodeStatusVersion: String(status.offloadNodeStatusVersion) }
      : {}),
  };
  // Offloaded node status lives in Argo's database: the decision reports it or reads it through
  // argo-server, so the cache keeps no nodes for it.
  if (status.offloadNodeStatusVersion) return projected;
  const { nodes, compressed } = nodeMap(workflow, limits);
  projected.status.nodes = suspendNodes(nodes, limits);
  if (compressed) projected.nodesWereCompressed = true;
  return projected;
}
