// A budget of bytes for what a cache holds, per group (a namespace) and in total, so that one
// tenant filling its namespace cannot take the memory every other namespace needs. Each key holds
// one charge; charging it again replaces the old charge. A charge that does not fit is refused,
// and the key then holds nothing: the cache drops the object and reports it.

export interface ByteBudgetLimits {
  /** Most bytes all groups together may hold. */
  total: number;
  /** Most bytes one group may hold. */
  perGroup: number;
}

export type Charge = { ok: true } | { ok: false; message: string };

export class ByteBudget {
  private readonly charges = new Map<string, { group: string; bytes: number }>();
  private readonly groups = new Map<string, number>();
  private totalBytes = 0;
  private releases = 0;

  constructor(readonly limits: ByteBudgetLimits) {}

  /** Charges `bytes` for `key` in `group` in place of what the key held, or refuses and releases the key. */
  charge(key: string, group: string, bytes: number): Charge {
    const before = this.charges.get(key);
    const groupUsed = this.used(group) - (before?.group === group ? before.bytes : 0);
    const totalUsed = this.totalBytes - (before?.bytes ?? 0);
    const { perGroup, total } = this.limits;
    let refusal: string | undefined;
    if (groupUsed + bytes > perGroup)
      refusal = `the workflows cached for namespace ${group || '(cluster)'} take ${groupUsed} bytes; this one (${bytes}) would pass the budget of ${perGroup} per namespace`;
    else if (totalUsed + bytes > total)
      refusal = `the workflows cached for all namespaces take ${totalUsed} bytes; this one (${bytes}) would pass the budget of ${total} in all`;
    if (refusal) {
      this.release(key);
      return { ok: false, message: refusal };
    }
    if (before) {
      this.remove(key, before);
      if (bytes < before.bytes) this.releases += 1;
    }
    this.charges.set(key, { group, bytes });
    this.groups.set(group, this.used(group) + bytes);
    this.totalBytes += bytes;
    return { ok: true };
  }

  release(key: string): void {
    const before = this.charges.get(key);
    if (!before) return;
    this.remove(key, before);
    this.releases += 1;
  }

  /** Bytes held by one group, or by all when none is named. */
  used(group?: string): number {
    return group === undefined ? this.totalBytes : (this.groups.get(group) ?? 0);
  }

  /** Grows each time room is freed: a cache that refused an object compares it to retry later. */
  get freedCount(): number {
    return this.releases;
  }

  private remove(key: string, charge: { group: string; bytes: number }): void {
    this.charges.delete(key);
    this.totalBytes -= charge.bytes;
    const left = this.used(charge.group) - charge.bytes;
    if (left > 0) this.groups.set(charge.group, left);
    else this.groups.delete(charge.group);
  }
}
