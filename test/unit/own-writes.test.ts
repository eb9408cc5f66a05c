// The controller's own writes laid over its cache: served while the cache lags, dropped as soon
// as the cache holds that version or a newer one, never served over a cache it cannot order, and
// never served for an object the cache no longer holds.
import { OwnWrites } from '../../src/runtime/own-writes.js';

const object = (resourceVersion: string | undefined, phase = 'Waiting') => ({
  metadata: { namespace: 'ci', name: 'gh-1', ...(resourceVersion === undefined ? {} : { resourceVersion }) },
  status: { phase },
});

describe('OwnWrites', () => {
  it('serves the cache when nothing was written', () => {
    const writes = new OwnWrites<ReturnType<typeof object>>();
    const cached = object('5');
    expect(writes.latest('ci/gh-1', cached)).toBe(cached);
    expect(writes.latest('ci/gh-1', undefined)).toBeUndefined();
  });

  it('serves the write while the cache holds an older version, then the cache once it catches up', () => {
    const writes = new OwnWrites<ReturnType<typeof object>>();
    const written = object('12', 'Succeeded');
    writes.remember(written);
    expect(writes.latest('ci/gh-1', object('9'))).toBe(written);
    // Versions compare as numbers, not text: "12" is newer than "9".
    const caughtUp = object('12', 'Succeeded');
    expect(writes.latest('ci/gh-1', caughtUp)).toBe(caughtUp);
    // Dropped: an older copy is served as it is from now on.
    const older = object('9');
    expect(writes.latest('ci/gh-1', older)).toBe(older);
  });

  it('drops a write as soon as the cache takes in that version, read or not', () => {
    const writes = new OwnWrites<ReturnType<typeof object>>();
    writes.remember(object('12', 'Succeeded'));
    writes.observe(object('11'));
    expect(writes.latest('ci/gh-1', object('11'))).toMatchObject({ status: { phase: 'Succeeded' } });
    writes.observe(object('12', 'Succeeded'));
    // The write is gone: an older copy (never served by a real cache after 12) now wins.
    expect(writes.latest('ci/gh-1', object('11'))).toMatchObject({ status: { phase: 'Waiting' } });
  });

  it('gives way to a newer version someone else wrote', () => {
    const writes = new OwnWrites<ReturnType<typeof object>>();
    writes.remember(object('12'));
    const newer = object('13', 'Failed');
    expect(writes.latest('ci/gh-1', newer)).toBe(newer);
  });

  it('serves nothing once the cache no longer holds the object, whatever was written', () => {
    const writes = new OwnWrites<ReturnType<typeof object>>();
    writes.remember(object('3'));
    writes.forget('ci/gh-1');
    expect(writes.latest('ci/gh-1', undefined)).toBeUndefined();
    // A write whose answer came after the cache saw the object deleted is not served either,
    // and is dropped: the object does not come back with a newer copy of its own.
    writes.remember(object('4', 'Succeeded'));
    expect(writes.latest('ci/gh-1', undefined)).toBeUndefined();
    expect(writes.latest('ci/gh-1', object('2'))).toMatchObject({ status: { phase: 'Waiting' } });
  });

  it('lets the cache win over versions it cannot order', () => {
    const writes = new OwnWrites<ReturnType<typeof object>>();
    writes.remember(object('abc'));
    const cached = object('7');
    expect(writes.latest('ci/gh-1', cached)).toBe(cached);
    writes.remember(object('8'));
    const opaque = object('xyz');
    expect(writes.latest('ci/gh-1', opaque)).toBe(opaque);
  });
});
