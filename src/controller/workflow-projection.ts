// What the workflow cache keeps of each play Workflow: identity, labels, the marker annotations
// and the approval gate's, spec.suspend/shutdown, the phase, and only the Suspend nodes, each
// cut to the bounded fields the decision reads and the resume patch writes
// (suspend-node-projection.ts), decompressed when Argo compressed them (which the copy records).
// A workflow with thousands of pod nodes then costs the cache a few hundred bytes, and a Suspend
// node with a megabyte message about one kilobyte. A resume is a merge patch built from this copy
// (domain/resume-patch.ts), or a read and a whole write where a patch cannot express it or the
// copy was cut.
//
// A Workflow's status is written by whoever can write the Workflow (the CRD has no status
// subresource), so it is read as untrusted input: a node map that is not a map of node objects,
// that inflates past the byte limit or holds more nodes than the node limit, compressed data
// that is not gzip, or a copy heavier than one workflow may be, makes the projection throw
// UnreadableObject. The cache then skips the workflow and reports it; nothing downstream ever
// sees it. Relabelling a workflow does not inflate its nodes again: a compressed node map equal
// to the one the previous copy was made from (by digest) is taken from that copy.
import { createHash } from 'node:crypto';
import type { Workflow, WorkflowNode } from '../api/workflow.js';
import type { DomainConfig } from '../domain/config.js';
import { inflateNodes, nodesStoredCompressed } from '../domain/compressed-nodes.js';
import type { RateBudget } from '../runtime/rate-budget.js';
import { OVER_BUDGET, UnreadableObject } from '../runtime/reflector.js';
import { projectSuspendNode, UnreadableNode } from './suspend-node-projection.js';

export interface ProjectionLimits {
  /** Most nodes a workflow's node map may hold. */
  maxNodes: number;
  /** Most bytes `status.compressedNodes` may inflate to. */
  maxInflatedBytes: number;
  /** Most a cached copy of one workflow may weigh (characters of its JSON). */
  maxBytes: number;
  /** Bytes of compressed node status each namespace may inflate, refilled with time. */
  inflation?: Pick<RateBudget, 'allows' | 'spend' | 'limits'>;
}

export const SkipReason = {
  InvalidNodeStatus: 'InvalidNodeStatus',
  InvalidCompressedNodes: 'InvalidCompressedNodes',
  NodeStatusTooLarge: 'NodeStatusTooLarge',
  CacheBudgetExceeded: OVER_BUDGET,
  InflationBudgetExceeded: 'InflationBudgetExceeded',
} as const;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const digestOf = (text: string) => createHash('sha256').update(text).digest('base64');

/** The Suspend nodes as the cache keeps them, and what they weigh. */
interface KeptNodes {
  nodes: Record<string, WorkflowNode>;
  bytes: number;
  clipped: string[];
}

function inflate(compressed: unknown, namespace: string, limits: ProjectionLimits): Record<string, unknown> {
  if (typeof compressed !== 'string')
    throw new UnreadableObject(SkipReason.InvalidCompressedNodes, 'status.compressedNodes is not a string');
  const inflation = limits.inflation;
  if (inflation && !inflation.allows(namespace)) {
    const { capacity, periodMs } = inflation.limits;
    throw new UnreadableObject(
      SkipReason.InflationBudgetExceeded,
      `the workflows of namespace ${namespace} inflated more than ${capacity} bytes of compressed node status in ${periodMs / 1000} s; it is read again once the namespace has room`,
      true,
    );
  }
  try {
    const { nodes, bytes } = inflateNodes(compressed, limits.maxInflatedBytes);
    inflation?.spend(namespace, bytes);
    return nodes;
  } catch (error) {
    // A refused inflation costs what the limit let through.
    inflation?.spend(namespace, limits.maxInflatedBytes);
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

/** The Suspend nodes of a node map, each checked and bounded; throws UnreadableObject on any bad node. */
function keepSuspendNodes(nodes: Record<string, unknown>, limits: ProjectionLimits): KeptNodes {
  const ids = Object.keys(nodes);
  if (ids.length > limits.maxNodes)
    throw new UnreadableObject(
      SkipReason.NodeStatusTooLarge,
      `the node map holds ${ids.length} nodes, more than the limit of ${limits.maxNodes}`,
    );
  const kept: KeptNodes = { nodes: {}, bytes: 0, clipped: [] };
  // Only a failure names its node; a workflow may hold thousands of nodes that pass.
  const shown = (id: string) => JSON.stringify(id.slice(0, 100));
  for (const id of ids) {
    const node = nodes[id];
    if (!isRecord(node) || typeof node.type !== 'string')
      throw new UnreadableObject(SkipReason.InvalidNodeStatus, `node ${shown(id)} is not a node`);
    if (node.type !== 'Suspend') continue;
    let projected;
    try {
      projected = projectSuspendNode(id, node);
    } catch (error) {
      if (!(error instanceof UnreadableNode)) throw error;
      throw new UnreadableObject(
        SkipReason.InvalidNodeStatus,
        `suspend node ${shown(id)} cannot be read: ${error.message}`,
      );
    }
    kept.nodes[id] = projected.node;
    kept.bytes += projected.bytes + id.length + 4;
    if (projected.clipped) kept.clipped.push(id);
    if (kept.bytes > limits.maxBytes) throw tooHeavy(kept.bytes, limits);
  }
  return kept;
}

const tooHeavy = (bytes: number, limits: ProjectionLimits) =>
  new UnreadableObject(
    SkipReason.CacheBudgetExceeded,
    `its Suspend nodes alone would take more than ${limits.maxBytes} bytes of the cache (${bytes} so far)`,
  );

/**
 * The node map's Suspend nodes: taken from `previous` when Argo's compressed map is the one that
 * copy was made from, otherwise read (and inflated) now.
 */
function suspendNodes(
  status: Record<string, unknown>,
  namespace: string,
  limits: ProjectionLimits,
  previous: Workflow | undefined,
): KeptNodes & { digest?: string } {
  const inline: unknown = status.nodes;
  if (inline !== undefined && inline !== null && !isRecord(inline))
    throw new UnreadableObject(SkipReason.InvalidNodeStatus, 'status.nodes is not a map of nodes');
  if (!nodesStoredCompressed(status))
    return keepSuspendNodes((inline as Record<string, unknown>) ?? {}, limits);
  const compressed = status.compressedNodes;
  const digest = typeof compressed === 'string' ? digestOf(compressed) : undefined;
  const before = previous?.projection;
  if (digest !== undefined && before?.compressedDigest === digest && previous?.status?.nodes) {
    if (before.nodesBytes > limits.maxBytes) throw tooHeavy(before.nodesBytes, limits);
    return {
      nodes: previous.status.nodes,
      bytes: before.nodesBytes,
      clipped: before.clippedNodes ?? [],
      digest,
    };
  }
  return {
    ...keepSuspendNodes(inflate(compressed, namespace, limits), limits),
    ...(digest ? { digest } : {}),
  };
}

/**
 * The cache's copy of a workflow. `previous`, the copy it replaces, spares inflating an unchanged
 * compressed node map again.
 */
export function projectWorkflow(
  workflow: Workflow,
  config: DomainConfig,
  limits: ProjectionLimits,
  previous?: Workflow,
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
  const head = JSON.stringify(projected).length;
  if (head > limits.maxBytes)
    throw new UnreadableObject(
      SkipReason.CacheBudgetExceeded,
      `its labels and annotations alone would take ${head} bytes of the cache, more than ${limits.maxBytes}`,
    );
  projected.projection = { bytes: head, nodesBytes: 0 };
  if (!status) return projected;
  if (!isRecord(status)) throw new UnreadableObject(SkipReason.InvalidNodeStatus, 'status is not an object');
  projected.status = {
    ...(typeof status.phase === 'string' ? { phase: status.phase.slice(0, 64) } : {}),
    ...(status.offloadNodeStatusVersion
      ? { offloadNodeStatusVersion: String(status.offloadNodeStatusVersion).slice(0, 256) }
      : {}),
  };
  // Offloaded node status lives in Argo's database: the decision reports it or reads it through
  // argo-server, so the cache keeps no nodes for it.
  if (status.offloadNodeStatusVersion) return projected;
  const kept = suspendNodes(
    status,
    metadata.namespace ?? '',
    { ...limits, maxBytes: limits.maxBytes - head },
    previous,
  );
  projected.status.nodes = kept.nodes;
  projected.projection = {
    bytes: head + kept.bytes,
    nodesBytes: kept.bytes,
    ...(kept.digest === undefined ? {} : { compressedDigest: kept.digest }),
    ...(kept.clipped.length > 0 ? { clippedNodes: kept.clipped } : {}),
  };
  if (kept.digest !== undefined) projected.nodesWereCompressed = true;
  return projected;
}
