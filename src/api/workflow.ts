// The slice of an Argo Workflow (argoproj.io/v1alpha1) that this operator reads and writes.
// Fields it does not name are kept as they are: a resume sends back the whole object it read.
import type { ObjectMetadata } from './object-metadata.js';

export const WORKFLOW_GROUP = 'argoproj.io';
export const WORKFLOW_VERSION = 'v1alpha1';
export const WORKFLOW_PLURAL = 'workflows';

export interface WorkflowParameter {
  name: string;
  value?: string;
  default?: string;
  globalName?: string;
  description?: string;
  enum?: string[];
  valueFrom?: { supplied?: Record<string, unknown>; default?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface WorkflowIO {
  parameters?: WorkflowParameter[];
  [key: string]: unknown;
}

export interface WorkflowNode {
  id: string;
  name: string;
  displayName?: string;
  type: string;
  phase?: string;
  templateName?: string;
  templateRef?: { name?: string; template?: string; clusterScope?: boolean };
  startedAt?: string;
  finishedAt?: string;
  message?: string;
  boundaryID?: string;
  children?: string[];
  inputs?: WorkflowIO;
  outputs?: WorkflowIO;
  [key: string]: unknown;
}

/** A resume writes the whole object back, so metadata it does not name travels along. */
export interface WorkflowMetadata extends ObjectMetadata {
  [key: string]: unknown;
}

export interface WorkflowStatus {
  phase?: string;
  startedAt?: string;
  finishedAt?: string;
  message?: string;
  nodes?: Record<string, WorkflowNode>;
  compressedNodes?: string;
  offloadNodeStatusVersion?: string;
  outputs?: WorkflowIO;
  [key: string]: unknown;
}

export interface Workflow {
  apiVersion?: string;
  kind?: string;
  metadata: WorkflowMetadata;
  spec?: { suspend?: boolean; shutdown?: string; [key: string]: unknown };
  status?: WorkflowStatus;
  /**
   * Set only on the cache's copy, which holds the node map decompressed: Argo stored it in
   * status.compressedNodes, so a write must rewrite the whole map.
   */
  nodesWereCompressed?: boolean;
  /** Set only on the cache's copy: what it weighs and what of it was cut (controller/workflow-projection.ts). */
  projection?: WorkflowProjection;
}

export interface WorkflowProjection {
  /** Characters of the copy as JSON: what it is charged against the cache's byte budget. */
  bytes: number;
  /** The part of `bytes` its Suspend nodes take. */
  nodesBytes: number;
  /** Digest of the status.compressedNodes the nodes were read from, so the same map is not inflated twice. */
  compressedDigest?: string;
  /** Nodes whose message or outputs were cut: a resume of one of them is written from a fresh read. */
  clippedNodes?: string[];
  /** Why the offloaded node status could not be read for this decision (controller/offloaded-nodes.ts). */
  unavailable?: string;
}

/** Workflow phases after which nothing runs again. */
export const COMPLETED_WORKFLOW_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed', 'Error']);

/** How a node is named to users: its display name (`wait-pr-created`), else its full path. */
export function nodeTitle(node: WorkflowNode): string {
  return node.displayName ?? node.name;
}

/** Argo's `NodeStatus.IsActiveSuspendNode`. */
export function isActiveSuspendNode(node: WorkflowNode): boolean {
  return node.type === 'Suspend' && node.phase === 'Running';
}
