// One interface for the two ways of writing a resume: straight to the Kubernetes API (default)
// or through argo-server (needed when node status is offloaded to a database). A backend checks
// the target against the workflow as it is now, so a decision made on a cached copy is never
// applied to a workflow that has moved on, or to another workflow created under the same name.
import type { Workflow } from '../api/workflow.js';

export interface ResumeTarget {
  namespace: string;
  workflowName: string;
  /**
   * The uid and resourceVersion of the workflow the decision was made on: a workflow read with
   * another uid (deleted and created again) or another version (changed since) is not written.
   */
  workflowUid?: string;
  resourceVersion?: string;
  /** The copy of the workflow the decision was made on (the cache's), when a backend can write from it. */
  decidedOn?: Workflow;
  nodeId: string;
  parameters: Record<string, string>;
  /** Annotation written with the resume, naming the request that did it. */
  markerKey: string;
  markerValue: string;
  /** More annotations written with the resume (the play's pull request, a gate's approvals). */
  annotations?: Record<string, string>;
  /** Leave spec.suspend (a person's `argo suspend`) in place. */
  keepWorkflowSuspended?: boolean;
  /** Node message, naming the ResumeRequest. */
  message: string;
  now: Date;
}

export type ResumeResult =
  | { outcome: 'resumed' }
  /** The node is no longer an active suspend node, or the workflow is not the one decided on: decide again on fresh state. */
  | {
      outcome: 'stale';
      /** What changed, when it is more than the node having moved on. */
      detail?: string;
    }
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
  /**
   * Asks Argo to stop a workflow (`argo stop`: spec.shutdown=Stop); used for older duplicates.
   * With a uid, a workflow of that name with another uid is left alone (the API refuses it).
   */
  stop(namespace: string, workflowName: string, uid?: string): Promise<void>;
}

/**
 * The outcome of a read that is not the workflow the decision saw: decided again after the
 * dispatcher's backoff, by which time the watch has normally brought the change.
 */
export const decidedOnOlderCopy = (detail: string): ResumeResult => ({ outcome: 'stale', detail });

/** Why the workflow read now is not the one the decision saw, or undefined when it is. */
export function changedSinceDecision(current: Workflow, target: ResumeTarget): string | undefined {
  const { uid, resourceVersion } = current.metadata;
  if (target.workflowUid !== undefined && uid !== target.workflowUid) {
    return `workflow ${target.workflowName} was replaced (uid ${uid ?? 'none'}, decided on ${target.workflowUid})`;
  }
  if (target.resourceVersion !== undefined && resourceVersion !== target.resourceVersion) {
    return `workflow ${target.workflowName} changed since the decision (version ${resourceVersion ?? 'none'}, decided on ${target.resourceVersion})`;
  }
  return undefined;
}

/**
 * The metadata a merge patch carries so that the API server applies it only to this workflow:
 * uid is immutable, so a patch naming another uid is refused.
 */
export function uidPrecondition(uid: string | undefined): { metadata?: { uid: string } } {
  return uid === undefined ? {} : { metadata: { uid } };
}
