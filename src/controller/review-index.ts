// The approval gate's index: the reviews of unsettled ResumeRequests, grouped by namespace, task
// and stage. Each review is read from its request once, when the cache first shows it (or its
// spec changes), so a gate's count reads these small records instead of resolving every other
// request of the task on every turn. A request leaves when it settles or is deleted.
import type { Review } from '../domain/reviews.js';

const groupOf = (namespace: string, taskId: string, stage: string) =>
  `${namespace}\u0000${taskId}\u0000${stage}`;

export class ReviewIndex {
  private readonly groups = new Map<string, Map<string, Review>>();
  private readonly groupOfKey = new Map<string, string>();

  /**
   * Indexes (or re-indexes) the review a request carries; returns the other requests of the same
   * account in the group when the review is new to it, for they may now be superseded.
   */
  set(key: string, namespace: string, taskId: string, stage: string, review: Review): string[] {
    const group = groupOf(namespace, taskId, stage);
    const before = this.groupOfKey.get(key);
    if (before !== undefined && before !== group) this.remove(key);
    let reviews = this.groups.get(group);
    if (!reviews) {
      reviews = new Map();
      this.groups.set(group, reviews);
    }
    const isNew = !reviews.has(key);
    reviews.set(key, review);
    this.groupOfKey.set(key, group);
    if (!isNew) return [];
    return [...reviews.entries()]
      .filter(([other, { account }]) => other !== key && account === review.account)
      .map(([other]) => other);
  }

  remove(key: string): void {
    const group = this.groupOfKey.get(key);
    if (group === undefined) return;
    this.groupOfKey.delete(key);
    const reviews = this.groups.get(group);
    reviews?.delete(key);
    if (reviews?.size === 0) this.groups.delete(group);
  }

  reviewsOf(namespace: string, taskId: string, stage: string): Review[] {
    return [...(this.groups.get(groupOf(namespace, taskId, stage))?.values() ?? [])];
  }
}
