// What the generator did, as the checks at the end need it: the runs it created, what every
// request it created stands for (task, run, stage, kind of delivery) and whether it was deleted
// since, counts by kind, and when each stage's first valid request was created.
import type { DeliveryKind } from './histories.js';

export interface RunRecord {
  task: string;
  live: boolean;
}

export interface RequestRecord {
  task: string;
  run: string;
  stage: number;
  kind: DeliveryKind;
  deleted: boolean;
}

export type Counted = DeliveryKind | 'filtered' | 'refused-redelivery' | 'created' | 'deleted';

export class Ledger {
  readonly runs = new Map<string, RunRecord>();
  readonly requests = new Map<string, RequestRecord>();
  readonly counts = new Map<Counted, number>();
  /** Date.now() when the first request with a valid event for "run/stage" was created. */
  readonly firstValidAt = new Map<string, number>();

  count(what: Counted): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
  }

  created(name: string, record: Omit<RequestRecord, 'deleted'>, validEvent: boolean): void {
    this.requests.set(name, { ...record, deleted: false });
    this.count('created');
    const key = `${record.run}/${record.stage}`;
    if (validEvent && !this.firstValidAt.has(key)) this.firstValidAt.set(key, Date.now());
  }

  deleted(name: string): void {
    const record = this.requests.get(name);
    if (record) record.deleted = true;
    this.count('deleted');
  }
}
