// Which ResumeRequests a workflow change concerns, and which workflows are a task's candidates.
// Pure bookkeeping over three indexes, fed by the two caches' changes; no I/O.
// - Workflows by task id (their `task-id` label): a task's candidates without scanning the cache.
// - Unsettled requests by task id, as resolved from the spec the moment the request is first
//   seen (spec.taskId, or the task the GitHub facts name: a PR label or the head branch), not
//   only once a status has been written: an early request built from GitHub facts is woken by
//   the very workflow change that brings its stage.
// - Unsettled requests that name a workflow and no task, by that workflow's name.
// A settled request leaves the indexes at once, so the workflow change its own resume causes
// does not wake it again.
import { isTerminalPhase, type ResumeRequest } from '../api/resume-request.js';
import type { Workflow } from '../api/workflow.js';
import type { DomainConfig } from '../domain/config.js';
import { isOutcome } from '../domain/outcome.js';
import { resolveRequest } from '../domain/correlate.js';
import { Reason } from '../domain/reasons.js';
import { NamespacedIndex } from '../runtime/namespaced-index.js';
import { objectKey } from '../runtime/reflector.js';

/** The task a request is about: from its status once resolved, else resolved from its spec now. */
export function requestTask(request: ResumeRequest, config: DomainConfig): string | undefined {
  if (request.status?.taskId) return request.status.taskId;
  const resolved = resolveRequest(request, config);
  return isOutcome(resolved) ? request.spec?.taskId : resolved.taskId;
}

export class WakeUps {
  private readonly workflowsByTask = new NamespacedIndex();
  private readonly requestsByTask = new NamespacedIndex();
  private readonly requestsByWorkflow = new NamespacedIndex();

  constructor(private readonly config: DomainConfig) {}

  /**
   * A request was added, changed or resynced; returns the keys of other requests to wake. An
   * approval that starts waiting at a gate wakes the task's other waiting requests: two approvals
   * decided at the same moment each count the other on this second look.
   */
  requestSeen(request: ResumeRequest, previous?: ResumeRequest): string[] {
    const key = objectKey(request);
    const phase = request.status?.phase;
    if (phase && isTerminalPhase(phase)) {
      this.requestSettled(key);
      return [];
    }
    const namespace = request.metadata.namespace ?? '';
    const task = requestTask(request, this.config);
    this.requestsByTask.set(key, namespace, task);
    this.requestsByWorkflow.set(key, namespace, task ? undefined : request.spec?.workflowName);
    const startsWaitingForApprovals =
      request.status?.reason === Reason.ApprovalsPending &&
      previous?.status?.reason !== Reason.ApprovalsPending;
    if (!startsWaitingForApprovals || !task) return [];
    return this.requestsByTask.keysFor(namespace, task).filter((other) => other !== key);
  }

  /** Names of the unsettled requests of a task. */
  requestsOfTask(namespace: string, taskId: string): string[] {
    return this.requestsByTask.keysFor(namespace, taskId).map((key) => key.slice(namespace.length + 1));
  }

  /** The request settled or was deleted: workflow changes no longer concern it. */
  requestSettled(key: string): void {
    this.requestsByTask.remove(key);
    this.requestsByWorkflow.remove(key);
  }

  /**
   * A workflow was added, changed, resynced or deleted (`current` undefined); returns the keys of
   * the requests to wake: those of its task, before and after, and those that name it.
   */
  workflowChanged(current: Workflow | undefined, previous: Workflow | undefined): string[] {
    const workflow = current ?? previous;
    if (!workflow) return [];
    const key = objectKey(workflow);
    const namespace = workflow.metadata.namespace ?? '';
    const taskLabel = this.config.labels.taskId;
    const task = current?.metadata.labels?.[taskLabel];
    if (current) this.workflowsByTask.set(key, namespace, task);
    else this.workflowsByTask.remove(key);
    const woken = new Set<string>();
    for (const concerned of new Set([task, previous?.metadata.labels?.[taskLabel]])) {
      if (concerned)
        for (const request of this.requestsByTask.keysFor(namespace, concerned)) woken.add(request);
    }
    for (const request of this.requestsByWorkflow.keysFor(namespace, workflow.metadata.name))
      woken.add(request);
    return [...woken];
  }

  /** Names of the cached workflows labelled with this task. */
  workflowsOfTask(namespace: string, taskId: string): string[] {
    return this.workflowsByTask.keysFor(namespace, taskId).map((key) => key.slice(namespace.length + 1));
  }
}
