// Which ResumeRequests a workflow change concerns, and which workflows are a task's candidates.
// Pure bookkeeping over indexes fed by the two caches' changes; no I/O.
// - Workflows by task id (their `task-id` label): a task's candidates without scanning the cache.
// - Unsettled requests by task id, as resolved from the spec the moment the request is first
//   seen (spec.taskId, or the task the GitHub facts name: a PR label or the head branch), not
//   only once a status has been written: an early request built from GitHub facts is woken by
//   the very workflow change that brings its stage.
// - Unsettled requests that name a workflow and no task, by that workflow's name.
// - The reviews of unsettled requests by namespace, task and stage (review-index.ts): what an
//   approval gate counts.
// A settled request leaves the indexes at once, so the workflow change its own resume causes
// does not wake it again. A request is resolved once per spec generation, not on every change.
import { isTerminalPhase, type ResumeRequest } from '../api/resume-request.js';
import type { Workflow } from '../api/workflow.js';
import type { DomainConfig } from '../domain/config.js';
import { isOutcome } from '../domain/outcome.js';
import { resolveRequest } from '../domain/correlate.js';
import { reviewOf, type Review } from '../domain/reviews.js';
import { NamespacedIndex } from '../runtime/namespaced-index.js';
import { objectKey } from '../runtime/reflector.js';
import { ReviewIndex } from './review-index.js';

/** What the indexes need of a request, read from its spec once per generation. */
interface Indexed {
  uid: string | undefined;
  generation: number | undefined;
  task: string | undefined;
  review?: { stage: string; review: Review };
}

function indexedOf(request: ResumeRequest, config: DomainConfig): Indexed {
  const resolved = resolveRequest(request, config);
  const base = { uid: request.metadata.uid, generation: request.metadata.generation };
  if (isOutcome(resolved)) return { ...base, task: request.status?.taskId ?? request.spec?.taskId };
  const task = request.status?.taskId ?? resolved.taskId;
  const review = reviewOf(request, resolved, config);
  return { ...base, task, ...(review ? { review: { stage: resolved.stage, review } } : {}) };
}

/** The task a request is about: from its status once resolved, else resolved from its spec now. */
export function requestTask(request: ResumeRequest, config: DomainConfig): string | undefined {
  return indexedOf(request, config).task;
}

export class WakeUps {
  private readonly workflowsByTask = new NamespacedIndex();
  private readonly requestsByTask = new NamespacedIndex();
  private readonly requestsByWorkflow = new NamespacedIndex();
  private readonly reviews = new ReviewIndex();
  private readonly indexed = new Map<string, Indexed>();

  constructor(private readonly config: DomainConfig) {}

  /**
   * A request was added, changed or resynced; returns the keys of other requests to wake: when it
   * brings a new review, the same reviewer's other reviews of the task, which it may supersede.
   */
  requestSeen(request: ResumeRequest): string[] {
    const key = objectKey(request);
    const phase = request.status?.phase;
    if (phase && isTerminalPhase(phase)) {
      this.requestSettled(key);
      return [];
    }
    const namespace = request.metadata.namespace ?? '';
    const known = this.indexed.get(key);
    const current =
      known && known.uid === request.metadata.uid && known.generation === request.metadata.generation
        ? known
        : indexedOf(request, this.config);
    this.indexed.set(key, current);
    const { task } = current;
    this.requestsByTask.set(key, namespace, task);
    this.requestsByWorkflow.set(key, namespace, task ? undefined : request.spec?.workflowName);
    if (!task || !current.review) {
      this.reviews.remove(key);
      return [];
    }
    return this.reviews.set(key, namespace, task, current.review.stage, current.review.review);
  }

  /** The reviews of a task's unsettled requests at a stage: what its approval gate counts. */
  reviewsOf(namespace: string, taskId: string, stage: string): Review[] {
    return this.reviews.reviewsOf(namespace, taskId, stage);
  }

  /** The request settled or was deleted: workflow changes no longer concern it. */
  requestSettled(key: string): void {
    this.requestsByTask.remove(key);
    this.requestsByWorkflow.remove(key);
    this.reviews.remove(key);
    this.indexed.delete(key);
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
