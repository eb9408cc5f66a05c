// What the generator did, as the checks at the end need it: the runs it created, what every
// delivery the EventSource answered with success stands for (task, run, stage, kind), what every
// request it named itself stands for (one applied from Git, one it deleted) and whether it was
// deleted since, counts by kind, and when each stage's first valid event was answered.
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
  /** X-GitHub-Delivery of a request the Sensor created. */
  deliveryId?: string;
}

export type Counted =
  | DeliveryKind
  /** Answers other than 2xx (EventSource or bus down): GitHub records a failed delivery. */
  | 'failed-delivery'
  /** Deliveries still failing when the generator gave up redelivering them. */
  | 'unanswered'
  | 'created'
  | 'deleted';

export class Ledger {
  readonly runs = new Map<string, RunRecord>();
  readonly requests = new Map<string, RequestRecord>();
  /** Deliveries the EventSource answered with success, by X-GitHub-Delivery. */
  readonly deliveries = new Map<string, Omit<RequestRecord, 'deleted'>>();
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

  /** A delivery the EventSource answered with success; a redelivery keeps its first record. */
  answered(
    deliveryId: string,
    record: Omit<RequestRecord, 'deleted' | 'deliveryId'>,
    validEvent: boolean,
  ): void {
    if (this.deliveries.has(deliveryId)) return;
    this.deliveries.set(deliveryId, { ...record, deliveryId });
    const key = `${record.run}/${record.stage}`;
    if (validEvent && !this.firstValidAt.has(key)) this.firstValidAt.set(key, Date.now());
  }

  deleted(name: string, record?: Omit<RequestRecord, 'deleted'>): void {
    if (record) this.requests.set(name, { ...record, deleted: true });
    const known = this.requests.get(name);
    if (known) known.deleted = true;
    this.count('deleted');
  }
}
