// Repeated Events are counted on the first, a flood on one object is cut off and refilled
// slowly, and neither table outgrows its bound.
import { EventCorrelator, type CorrelatedEvent } from '../../src/runtime/event-correlator.js';
import { FakeClock } from '../support/fake-clock.js';

const event = (overrides: Partial<CorrelatedEvent> = {}): CorrelatedEvent => ({
  namespace: 'ci',
  kind: 'Workflow',
  name: 'play-1',
  uid: 'u1',
  type: 'Warning',
  reason: 'InvalidNodeStatus',
  message: 'status.nodes is not a map of nodes',
  ...overrides,
});

describe('EventCorrelator', () => {
  it('creates an Event once, then counts repeats on it', () => {
    const clock = new FakeClock();
    const correlator = new EventCorrelator(clock);
    expect(correlator.correlate(event())).toEqual({ action: 'create' });
    const first = new Date(clock.now());
    correlator.created(event(), 'play-1.abc', first);
    clock.set(clock.now() + 1000);
    expect(correlator.correlate(event())).toEqual({
      action: 'update',
      name: 'play-1.abc',
      count: 2,
      firstTimestamp: first,
    });
    expect(correlator.correlate(event())).toMatchObject({ action: 'update', count: 3 });
  });

  it('treats another message, reason, type or object as another Event', () => {
    const correlator = new EventCorrelator(new FakeClock());
    correlator.created(event(), 'play-1.abc', new Date());
    for (const other of [
      event({ message: 'another' }),
      event({ reason: 'Other' }),
      event({ type: 'Normal' }),
      event({ name: 'play-2' }),
      event({ uid: 'u2' }),
    ]) {
      expect(correlator.correlate(other)).toEqual({ action: 'create' });
    }
  });

  it('lets 25 Events through per object at once, then one every five minutes', () => {
    const clock = new FakeClock();
    const correlator = new EventCorrelator(clock);
    const actions = Array.from(
      { length: 40 },
      (_, i) => correlator.correlate(event({ message: `version ${i}` })).action,
    );
    expect(actions.filter((a) => a === 'create')).toHaveLength(25);
    expect(actions.slice(25).every((a) => a === 'drop')).toBe(true);
    // Another object is not held back by this one.
    expect(correlator.correlate(event({ name: 'play-2' })).action).toBe('create');

    clock.set(clock.now() + 4 * 60_000);
    expect(correlator.correlate(event({ message: 'later' })).action).toBe('drop');
    clock.set(clock.now() + 60_000);
    expect(correlator.correlate(event({ message: 'later' })).action).toBe('create');
    expect(correlator.correlate(event({ message: 'later still' })).action).toBe('drop');
    // After a long quiet spell the whole burst is back, and no more than that.
    clock.set(clock.now() + 24 * 60 * 60_000);
    const after = Array.from(
      { length: 30 },
      (_, i) => correlator.correlate(event({ message: `again ${i}` })).action,
    );
    expect(after.filter((a) => a === 'create')).toHaveLength(25);
  });

  it('forgets the least recently used entries beyond its bound', () => {
    const correlator = new EventCorrelator(new FakeClock(), {
      burst: 1,
      refillEveryMs: 60_000,
      maxEntries: 3,
    });
    for (const name of ['a', 'b', 'c']) correlator.created(event({ name }), `${name}.1`, new Date());
    expect(correlator.correlate(event({ name: 'a' }))).toMatchObject({ action: 'update', name: 'a.1' });
    correlator.created(event({ name: 'd' }), 'd.1', new Date());
    // b was the least recently used event entry and is gone: an Event for it is created anew.
    expect(correlator.correlate(event({ name: 'b' }))).toEqual({ action: 'create' });
    for (const name of ['e', 'f', 'g']) correlator.correlate(event({ name }));
    // The bucket table is bounded too: a's bucket was evicted, so a has its burst again.
    expect(correlator.correlate(event({ name: 'a', message: 'new' })).action).toBe('create');
  });
});
