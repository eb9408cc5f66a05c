// Which Events are worth a write, decided the way client-go's event correlator decides it:
//
// - an Event identical to one recorded before (same object, type, reason and message) is not
//   created again; the one already recorded gets its count and lastTimestamp raised instead;
// - each object has a token bucket (25 Events at once, then one more every five minutes), and
//   Events beyond it are dropped, so an object that changes thousands of times (a workflow a
//   tenant rewrites in a loop, each version skipped as unreadable) cannot turn into thousands of
//   Event writes.
//
// Both tables are bounded (least recently used entries go first), so neither grows with the
// number of objects ever seen. Pure apart from the clock it is given.
import type { Clock } from './clock.js';

export interface CorrelatedEvent {
  namespace: string;
  kind: string;
  name: string;
  uid?: string;
  type: string;
  reason: string;
  message: string;
}

export type Correlation =
  | { action: 'create' }
  | { action: 'update'; name: string; count: number; firstTimestamp: Date }
  | { action: 'drop' };

export interface CorrelatorLimits {
  /** Events an object may have recorded at once. */
  burst: number;
  /** After the burst, one more Event per object this often. */
  refillEveryMs: number;
  /** Entries kept in each of the two tables. */
  maxEntries: number;
}

export const defaultCorrelatorLimits: CorrelatorLimits = {
  burst: 25,
  refillEveryMs: 5 * 60_000,
  maxEntries: 4096,
};

interface Recorded {
  name: string;
  count: number;
  firstTimestamp: Date;
}

interface Bucket {
  tokens: number;
  refilledAt: number;
}

/** Map order is recency order: reading an entry moves it to the end, the oldest is evicted. */
function touch<V>(map: Map<string, V>, key: string, value: V, maxEntries: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > maxEntries) map.delete(map.keys().next().value!);
}

const objectKey = (event: CorrelatedEvent) =>
  JSON.stringify([event.namespace, event.kind, event.name, event.uid ?? '']);
const eventKey = (event: CorrelatedEvent) =>
  JSON.stringify([objectKey(event), event.type, event.reason, event.message]);

export class EventCorrelator {
  private readonly recorded = new Map<string, Recorded>();
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly limits: CorrelatorLimits = defaultCorrelatorLimits,
  ) {}

  correlate(event: CorrelatedEvent): Correlation {
    if (!this.takeToken(objectKey(event))) return { action: 'drop' };
    const key = eventKey(event);
    const previous = this.recorded.get(key);
    if (!previous) return { action: 'create' };
    const next = { ...previous, count: previous.count + 1 };
    touch(this.recorded, key, next, this.limits.maxEntries);
    return { action: 'update', name: next.name, count: next.count, firstTimestamp: next.firstTimestamp };
  }

  /** What was created for `event`, so the next identical one updates it. */
  created(event: CorrelatedEvent, name: string, at: Date): void {
    touch(this.recorded, eventKey(event), { name, count: 1, firstTimestamp: at }, this.limits.maxEntries);
  }

  private takeToken(object: string): boolean {
    const now = this.clock.now();
    const bucket = this.buckets.get(object) ?? { tokens: this.limits.burst, refilledAt: now };
    const earned = Math.floor((now - bucket.refilledAt) / this.limits.refillEveryMs);
    if (earned > 0) {
      bucket.tokens = Math.min(this.limits.burst, bucket.tokens + earned);
      bucket.refilledAt += earned * this.limits.refillEveryMs;
    }
    if (bucket.tokens >= this.limits.burst) bucket.refilledAt = now;
    const allowed = bucket.tokens > 0;
    if (allowed) bucket.tokens -= 1;
    touch(this.buckets, object, bucket, this.limits.maxEntries);
    return allowed;
  }
}
