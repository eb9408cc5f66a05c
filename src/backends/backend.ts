// One interface for the two ways of writing a resume: straight to the Kubernetes API (default)
// or through argo-server (needed when node status is offloaded to a database). A backend checks
// the target against the workflow as it is now, so a decision made on a cached copy is never
// applied to a workflow that has moved on.
import type { Workflow } from '../api/workflow.js';

export interface ResumeTarget {
  namespace: string;
  workflowName: string;
  nodeId: string;
  parameters: Record<string, string>;
  /** Annotation written with the resume, naming the request that did it. */
  markerKey: string;
  markerValue: string;
  /** Node message, naming the ResumeRequest. */
  message: string;
  now: Date;
}

export type ResumeResult =
  | { outcome: 'resumed' }
  /** The node is no longer an active suspend node: decide again on fresh state. */
  | { outcome: 'stale' }
  /** The workflow cannot be resumed as asked; retrying will not help. */
  | { outcome: 'rejected'; reason: string; message: string };

export interface ResumeBackend {
  readonly name: string;
  /** Throws API and network errors as they are; the caller classifies them. */
  resume(target: ResumeTarget): Promise<ResumeResult>;
  /**
   * The workflow with its node status filled in, when the backend can read node status that
   * Argo offloaded to its database; absent when it cannot.
   */
  hydrate?(namespace: string, workflowName: string): Promise<Workflow>;
  /** Asks Argo to stop a workflow (`argo stop`: spec.shutdown=Stop); used for older duplicates. */
  stop(namespace: string, workflowName: string): Promise<void>;
}
