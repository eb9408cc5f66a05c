// Argo keeps the node map of a large workflow in status.compressedNodes as base64(gzip(JSON))
// (util/file CompressEncodeString) and reads it only while status.nodes is empty; this module
// reads and writes that form so a change is made to the whole map or not at all.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Workflow, WorkflowNode, WorkflowStatus } from '../api/workflow.js';
import { Reason } from './reasons.js';

/** Compressed node maps larger than this once inflated are refused rather than parsed. */
export const MAX_INFLATED_BYTES = 64 << 20;

export type NodesRead =
  | { ok: true; nodes: Record<string, WorkflowNode>; compressed: boolean }
  | {
      ok: false;
      reason:
        | typeof Reason.OffloadedNodeStatus
        | typeof Reason.InvalidCompressedNodes
        | typeof Reason.NodeStatusUnavailable;
      message: string;
    };

export function compressNodes(nodes: Record<string, WorkflowNode>): string {
  return gzipSync(JSON.stringify(nodes)).toString('base64');
}

/** Throws when the text is not base64 of gzip of a JSON object, or inflates past `maxBytes`. */
export function decompressNodes(
  compressed: string,
  maxBytes: number = MAX_INFLATED_BYTES,
): Record<string, WorkflowNode> {
  return inflateNodes(compressed, maxBytes).nodes;
}

/** decompressNodes, and how many bytes of JSON the map inflated to. */
export function inflateNodes(
  compressed: string,
  maxBytes: number = MAX_INFLATED_BYTES,
): { nodes: Record<string, WorkflowNode>; bytes: number } {
  const inflated = gunzipSync(Buffer.from(compressed, 'base64'), { maxOutputLength: maxBytes });
  const nodes: unknown = JSON.parse(inflated.toString('utf8'));
  if (typeof nodes !== 'object' || nodes === null || Array.isArray(nodes)) {
    throw new Error('compressed nodes are not a JSON object');
  }
  return { nodes: nodes as Record<string, WorkflowNode>, bytes: inflated.length };
}

/** Argo's rule: the node map is read from status.compressedNodes only while status.nodes is empty. */
export function nodesStoredCompressed(status: WorkflowStatus | undefined): boolean {
  const inline: unknown = status?.nodes;
  const empty = inline === undefined || inline === null || Object.keys(inline).length === 0;
  return empty && Boolean(status?.compressedNodes);
}

/** The workflow's node map as Argo's hydrator would see it, refusing one that inflates past `maxBytes`. */
export function readNodes(workflow: Workflow, maxBytes: number = MAX_INFLATED_BYTES): NodesRead {
  const status = workflow.status ?? {};
  const unavailable = workflow.projection?.unavailable;
  if (unavailable !== undefined)
    return { ok: false, reason: Reason.NodeStatusUnavailable, message: unavailable };
  if (status.offloadNodeStatusVersion) {
    return {
      ok: false,
      reason: Reason.OffloadedNodeStatus,
      message:
        `workflow ${workflow.metadata.name} keeps its node status in Argo's database ` +
        `(offloadNodeStatusVersion ${status.offloadNodeStatusVersion}); only the argo-server backend can resume it`,
    };
  }
  if (!nodesStoredCompressed(status)) return { ok: true, nodes: status.nodes ?? {}, compressed: false };
  try {
    return { ok: true, nodes: decompressNodes(status.compressedNodes!, maxBytes), compressed: true };
  } catch (error) {
    return {
      ok: false,
      reason: Reason.InvalidCompressedNodes,
      message: `workflow ${workflow.metadata.name} has status.compressedNodes that cannot be read: ${String(error)}`,
    };
  }
}
