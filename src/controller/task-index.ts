// A many-to-one index from "namespace/task-id" to object keys, kept in step with a cache's
// changes. Workflows are indexed to find a task's candidates without scanning the cache; waiting
// ResumeRequests are indexed so a workflow change wakes exactly the requests of its task.
export class TaskIndex {
  private readonly byTask = new Map<string, Set<string>>();
  private readonly taskOf = new Map<string, string>();

  set(key: string, namespace: string, taskId: string | undefined): void {
    const next = taskId ? `${namespace}/${taskId}` : undefined;
    const previous = this.taskOf.get(key);
    if (previous === next) return;
    if (previous) this.remove(key);
    if (!next) return;
    this.taskOf.set(key, next);
    let keys = this.byTask.get(next);
    if (!keys) {
      keys = new Set();
      this.byTask.set(next, keys);
    }
    keys.add(key);
  }

  remove(key: string): void {
    const task = this.taskOf.get(key);
    if (!task) return;
    this.taskOf.delete(key);
    const keys = this.byTask.get(task);
    keys?.delete(key);
    if (keys?.size === 0) this.byTask.delete(task);
  }

  keysFor(namespace: string, taskId: string): string[] {
    return [...(this.byTask.get(`${namespace}/${taskId}`) ?? [])];
  }
}
