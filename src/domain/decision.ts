// What the decision takes and what it returns, in a file of its own so that decide.ts and
// settle-run.ts, which builds the outcomes that settle a request, need not import each other.
import type { ResumeRequest } from '../api/resume-request.js';
import type { Workflow } from '../api/workflow.js';
import type { DomainConfig } from './config.js';
import type { ResolvedRequest } from './correlate.js';
import type { Reason } from './reasons.js';
import type { Review } from './reviews.js';

export interface DecideInput {
  request: ResumeRequest;
  resolved: ResolvedRequest;
  workflows: readonly Workflow[];
  now: Date;
  config: DomainConfig;
  /**
   * The reviews the approval gate's index holds for the request's namespace, task and stage:
   * what a gate counts, and what tells a review that its reviewer has since reviewed again.
   */
  reviews?: readonly Review[];
  /**
   * The workflow to be resumed as read whole from the API, which `workflow.` validation rules
   * read (the workflows above are the cache's bounded copies). Without it, a request with such
   * rules is answered `read` once it has a workflow to resume.
   */
  whole?: Workflow;
}

/** Older workflows of the task waiting at the same stage, stopped after the resume when the policy says so. */
export type StopTargets = { name: string; uid?: string }[];

/**
 * What follows a resume (the stops, the workflow's Resumed Event, the time-to-resume metrics). A request
 * that finds its own resume already on the workflow (the operator stopped between that write and
 * the status write) carries them too, so a failover in between loses none of them.
 */
export interface FollowUps {
  nodeName: string;
  stopWorkflows: StopTargets;
  /** When the node was resumed, as the workflow records it. */
  resumedAt?: string;
  /** When the node started: the stage was reached. */
  reachedAt?: string;
}

export type Decision =
  | {
      action: 'resume';
      workflowName: string;
      /** The identity and version the decision saw: the write is preconditioned on them. */
      workflowUid?: string;
      resourceVersion?: string;
      nodeId: string;
      nodeName: string;
      stage: string;
      /** Every workflow waiting at the stage, newest (the one resumed) first. */
      candidates: string[];
      message: string;
      /** Older duplicates to stop, when the policy says so, with the uid the decision saw. */
      stopWorkflows?: StopTargets;
      /** What applyResume needs, ready to pass on. */
      parameters: Record<string, string>;
      markerKey: string;
      markerValue: string;
      /** Annotations written in the same write: the play's pull request, the approvals a gate counted. */
      annotations?: Record<string, string>;
      /** A GitHub event leaves a workflow-wide `argo suspend` (spec.suspend) in place. */
      keepWorkflowSuspended?: boolean;
      nodeMessage: string;
    }
  | {
      action: 'wait';
      reason: Reason;
      message: string;
      deadline: Date;
      workflowName?: string;
      candidates?: string[];
      /** Look again after this long even if nothing changes (sooner than the usual recheck). */
      retryInMs?: number;
    }
  /** Read this workflow whole, as the decision saw it, and decide again with it as `whole`. */
  | { action: 'read'; workflowName: string; workflowUid?: string; resourceVersion?: string }
  | {
      action: 'complete';
      phase: 'Succeeded' | 'Ignored' | 'Failed';
      reason: Reason;
      message: string;
      workflowName?: string;
      resumedNode?: string;
      resumeTime?: string;
      candidates?: string[];
      validationErrors?: string[];
      followUps?: FollowUps;
    };

export type Completion = Extract<Decision, { action: 'complete' }>;
