// A many-to-one index from "namespace/value" (a task id, a workflow name) to object keys, kept in
// step with a cache's changes. Workflows are indexed by task to find a task's candidates without
// scanning the cache; waiting ResumeRequests are indexed by task and by named workflow, so a
// workflow change wakes exactly the requests it can concern.
export class NamespacedIndex {
  private readonly byValue = new Map<string, Set<string>>();
  private readonly valueOf = new Map<string, string>();

  set(key: string, namespace: string, value: string | undefined): void {
    const next = value ? `${namespace}/${value}` : undefined;
    const previous = this.valueOf.get(key);
    if (previous === next) return;
    if (previous) this.remove(key);
    if (!next) return;
    this.valueOf.set(key, next);
    let keys = this.byValue.get(next);
    if (!keys) {
      keys = new Set();
      this.byValue.set(next, keys);
    }
    keys.add(key);
  }

  remove(key: string): void {
    const indexed = this.valueOf.get(key);
    if (!indexed) return;
    this.valueOf.delete(key);
    const keys = this.byValue.get(indexed);
    keys?.delete(key);
    if (keys?.size === 0) this.byValue.delete(indexed);
  }

  keysFor(namespace: string, value: string): string[] {
    return [...(this.byValue.get(`${namespace}/${value}`) ?? [])];
  }
}
