import { afterEach, beforeEach, jest } from '@jest/globals';
import { MAX_TIMER_MS, WorkQueue } from '../../src/runtime/work-queue.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves once `predicate` holds, checking after each turn of the event loop; fails after `limit` turns. */
async function until(predicate: () => boolean, limit = 1000): Promise<void> {
  for (let i = 0; i < limit; i += 1) {
    if (predicate()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('condition not reached');
}

describe('WorkQueue', () => {
  it('takes the next key of each namespace in turn, in the order each namespace added them', async () => {
    const queue = new WorkQueue({ concurrency: 1 });
    const seen: string[] = [];
    for (const key of ['a/1', 'a/2', 'a/3', 'a/4', 'b/1', 'b/2', 'c/1']) queue.add(key);
    queue.start(async (key) => {
      seen.push(key);
    });
    await until(() => seen.length === 7 && queue.inFlight === 0);
    expect(seen).toEqual(['a/1', 'b/1', 'c/1', 'a/2', 'b/2', 'a/3', 'a/4']);
  });

  it('never gives one namespace more than its share of workers, however slow its keys', async () => {
    const queue = new WorkQueue({ concurrency: 4, groupConcurrency: 2 });
    const stuck = deferred();
    const started: string[] = [];
    queue.start(async (key) => {
      started.push(key);
      if (key.startsWith('slow/')) await stuck.promise;
    });
    for (let i = 0; i < 50; i++) queue.add(`slow/${i}`);
    await until(() => started.length === 2);
    expect(queue.inFlight).toBe(2);
    queue.add('other/play');
    queue.add('third/play');
    await until(() => started.includes('other/play') && started.includes('third/play'));
    expect(started.filter((key) => key.startsWith('slow/'))).toHaveLength(2);
    expect(queue.depth).toBe(48);
    stuck.resolve();
    await until(() => started.length === 52 && queue.inFlight === 0);
  });

  it('deduplicates a key added several times before it is processed', async () => {
    const queue = new WorkQueue({ concurrency: 1 });
    const seen: string[] = [];
    queue.add('a');
    queue.add('a');
    queue.add('b');
    queue.add('a');
    queue.start(async (key) => {
      seen.push(key);
    });
    await until(() => seen.length === 2 && queue.inFlight === 0);
    expect(seen).toEqual(['a', 'b']);
  });

  it('never processes one key twice at once, and reprocesses a key added while it ran', async () => {
    const queue = new WorkQueue({ concurrency: 4 });
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    queue.start(async () => {
      running += 1;
      runs += 1;
      maxRunning = Math.max(maxRunning, running);
      if (runs === 1) await gate.promise;
      running -= 1;
    });
    queue.add('k');
    await until(() => runs === 1);
    queue.add('k');
    queue.add('k');
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(1);
    gate.resolve();
    await until(() => runs === 2 && queue.inFlight === 0);
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
  });

  it('adds a key unless something is already pending for it', async () => {
    const queue = new WorkQueue({ concurrency: 1 });
    const gate = deferred();
    const seen: string[] = [];
    queue.start(async (key) => {
      seen.push(key);
      if (key === 'busy') await gate.promise;
    });
    queue.add('busy');
    await until(() => seen.length === 1);
    queue.addUnlessPending('busy');
    queue.addAfter('later', 60_000);
    queue.addUnlessPending('later');
    queue.addUnlessPending('idle');
    expect(queue.depth).toBe(2);
    gate.resolve();
    await until(() => seen.length === 2 && queue.inFlight === 0);
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['busy', 'idle']);
    await queue.shutdown(0);
  });

  it('drops a re-run asked for during processing when told the key is settled', async () => {
    const queue = new WorkQueue({ concurrency: 1 });
    const gate = deferred();
    let runs = 0;
    queue.start(async (key) => {
      runs += 1;
      if (runs === 1) {
        await gate.promise;
        queue.discardPendingRerun(key);
      }
    });
    queue.add('k');
    await until(() => runs === 1);
    queue.add('k');
    gate.resolve();
    await until(() => queue.inFlight === 0);
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(1);
  });

  it('bounds concurrency across keys', async () => {
    const queue = new WorkQueue({ concurrency: 3 });
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    let finished = 0;
    queue.start(async () => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await gate.promise;
      running -= 1;
      finished += 1;
    });
    for (let i = 0; i < 10; i += 1) queue.add(`k${i}`);
    await until(() => running === 3);
    expect(queue.depth).toBe(7);
    gate.resolve();
    await until(() => finished === 10);
    expect(maxRunning).toBe(3);
  });

  describe('with fake timers', () => {
    beforeEach(() => {
      jest.useFakeTimers();
    });
    afterEach(() => {
      jest.useRealTimers();
    });

    /** A started queue that records the keys it is handed. */
    function recordingQueue(): { queue: WorkQueue; seen: string[] } {
      const queue = new WorkQueue({ concurrency: 1 });
      const seen: string[] = [];
      queue.start(async (key) => {
        seen.push(key);
      });
      return { queue, seen };
    }

    it('adds a key after a delay, keeping the earlier of two pending delays', async () => {
      const { queue, seen } = recordingQueue();
      queue.addAfter('x', 5000);
      queue.addAfter('x', 1000);
      queue.addAfter('x', 3000);
      expect(queue.depth).toBe(1);
      await jest.advanceTimersByTimeAsync(999);
      expect(seen).toEqual([]);
      await jest.advanceTimersByTimeAsync(1);
      expect(seen).toEqual(['x']);
      await jest.advanceTimersByTimeAsync(10_000);
      expect(seen).toHaveLength(1);
    });

    it('cuts delays longer than a timer can hold instead of firing them at once', async () => {
      const { queue, seen } = recordingQueue();
      queue.addAfter('ttl', 30 * 86_400_000);
      await jest.advanceTimersByTimeAsync(1000);
      expect(seen).toEqual([]);
      await jest.advanceTimersByTimeAsync(MAX_TIMER_MS);
      expect(seen).toEqual(['ttl']);
    });

    it('an immediate add supersedes a pending delay', async () => {
      const { queue, seen } = recordingQueue();
      queue.addAfter('x', 5000);
      queue.add('x');
      await jest.advanceTimersByTimeAsync(10_000);
      expect(seen).toEqual(['x']);
    });
  });

  it('shutdown drops queued work and waits for work in flight', async () => {
    const queue = new WorkQueue({ concurrency: 1 });
    const gate = deferred();
    const seen: string[] = [];
    queue.start(async (key) => {
      seen.push(key);
      await gate.promise;
    });
    queue.add('a');
    queue.add('b');
    queue.addAfter('c', 10);
    await until(() => seen.length === 1);
    const stopping = queue.shutdown(5000);
    queue.add('d');
    gate.resolve();
    await expect(stopping).resolves.toBe(true);
    expect(seen).toEqual(['a']);
    expect(queue.depth).toBe(0);
  });

  it('shutdown reports work that did not finish in time', async () => {
    const queue = new WorkQueue({ concurrency: 1 });
    queue.start(() => new Promise<void>(() => {}));
    queue.add('stuck');
    await until(() => queue.inFlight === 1);
    await expect(queue.shutdown(20)).resolves.toBe(false);
  });

  it('refuses a concurrency that is not a positive integer', () => {
    expect(() => new WorkQueue({ concurrency: 0 })).toThrow(/positive integer/);
    expect(() => new WorkQueue({ concurrency: 2, groupConcurrency: 0 })).toThrow(/positive integer/);
    expect(() => new WorkQueue({ concurrency: 1.5 })).toThrow(/positive integer/);
  });

  it('reports its depth as keys come and go', async () => {
    const depths: number[] = [];
    const queue = new WorkQueue({ concurrency: 1, onDepthChange: (depth) => depths.push(depth) });
    queue.add('a');
    queue.add('b');
    queue.start(async () => {});
    await until(() => queue.depth === 0 && queue.inFlight === 0);
    expect(depths).toEqual([1, 2, 1, 0]);
  });
});
