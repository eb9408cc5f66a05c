// The objects a controller wrote itself, laid over its cache until the watch brings them back.
// A turn that follows the controller's own write must see that write, or it decides on the state
// before it and its next write is refused with 409; reading the object from the API every turn
// would avoid that at the price of a read per turn. This keeps the object each write returned
// and serves it until the cache holds the same or a newer resourceVersion, or the cache no longer
// holds the object at all.
import { objectKey } from './reflector.js';

/**
 * Whether resourceVersion `a` is newer than `b`. Versions are opaque to clients, but the API
 * server's are etcd revisions, which only grow. Versions that are not are never called newer: the
 * cache then wins, and a turn on a stale copy costs a 409 and a second turn, never a stuck key.
 */
function isNewer(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || !/^\d{1,30}$/.test(a)) return false;
  if (b === undefined) return true;
  return /^\d{1,30}$/.test(b) && BigInt(a) > BigInt(b);
}

type Versioned = { metadata?: { namespace?: string; name?: string; resourceVersion?: string } };

export class OwnWrites<T extends Versioned> {
  private readonly written = new Map<string, T>();

  /**
   * Records what a write returned (projected the way the cache projects). Writes to one key come
   * from one turn at a time, so the last one recorded is the newest.
   */
  remember(object: T): void {
    this.written.set(objectKey(object), object);
  }

  /**
   * The cache took in `cached`: a write it has caught up with is dropped now, so writes that no
   * turn reads again (a request that settled) are not kept until the object goes.
   */
  observe(cached: T): void {
    this.latest(objectKey(cached), cached);
  }

  /** The object is gone: nothing of it is served any more. */
  forget(key: string): void {
    this.written.delete(key);
  }

  /**
   * The newer of the cached copy and the last write; the write is dropped once the cache has
   * caught up. Without a cached copy there is nothing: every write is of an object the cache
   * held, so a cache without it has seen it deleted, perhaps while the write's answer was still
   * on its way (a deletion that raced the write), and a write kept past that would let a turn act
   * on an object that is gone.
   */
  latest(key: string, cached: T | undefined): T | undefined {
    const written = this.written.get(key);
    if (!cached) {
      if (written) this.written.delete(key);
      return undefined;
    }
    if (!written) return cached;
    const writtenVersion = written.metadata?.resourceVersion;
    if (!isNewer(writtenVersion, cached.metadata?.resourceVersion)) {
      this.written.delete(key);
      return cached;
    }
    return written;
  }
}
