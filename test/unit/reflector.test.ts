// The reflector against a scripted list/watch and a fake clock: which calls it makes after each
// kind of ending, what its handlers see, and that nothing an object or a handler does stops it.
import { ByteBudget } from '../../src/runtime/byte-budget.js';
import {
  Reflector,
  UnreadableObject,
  type ChangeType,
  type ReflectorBudget,
} from '../../src/runtime/reflector.js';
import type {
  ListOptions,
  ListPage,
  ListWatch,
  RawObject,
  WatchEventType,
  WatchOptions,
} from '../../src/runtime/list-watch.js';
import { silentLogger } from '../../src/observability/logger.js';
import { FakeClock, flush } from '../support/fake-clock.js';

const object = (name: string, resourceVersion: string, extra: Record<string, unknown> = {}): RawObject =>
  ({ metadata: { namespace: 'ns', name, resourceVersion }, ...extra }) as RawObject;

interface Stream {
  options: WatchOptions;
  emit(type: WatchEventType, object: RawObject & { code?: number }): void;
  end(error?: unknown): void;
  stopped: boolean;
  paused: boolean;
}

class ScriptedListWatch implements ListWatch {
  readonly resource = 'things.example.com';
  readonly lists: ListOptions[] = [];
  readonly watches: Stream[] = [];
  /** Answers for the next list calls, in order; a list with no answer left returns `standing`. */
  listAnswers: Array<ListPage | Error> = [];
  standing: ListPage = { items: [], metadata: { resourceVersion: '1' } };
  /** Errors the next watch calls reject with before sending anything. */
  watchRejections: Error[] = [];

  list(options: ListOptions): Promise<ListPage> {
    this.lists.push(options);
    const answer = this.listAnswers.shift() ?? this.standing;
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  }

  watch(
    options: WatchOptions,
    onEvent: (type: WatchEventType, object: RawObject & { code?: number }) => void,
    onDone: (error: unknown) => void,
  ) {
    const rejection = this.watchRejections.shift();
    if (rejection) return Promise.reject(rejection);
    let ended = false;
    const stream: Stream = {
      options,
      stopped: false,
      paused: false,
      emit: (type, raw) => onEvent(type, raw),
      end: (error) => {
        if (ended) return;
        ended = true;
        onDone(error ?? null);
      },
    };
    this.watches.push(stream);
    return Promise.resolve({
      stop: () => {
        stream.stopped = true;
        stream.end(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      },
      pause: () => {
        stream.paused = true;
      },
      resume: () => {
        stream.paused = false;
      },
    });
  }

  get current(): Stream {
    return this.watches.at(-1)!;
  }
}

type Seen = { type: ChangeType; name: string; version: string };

function setup(
  options: {
    project?: (raw: RawObject) => RawObject;
    resyncIntervalMs?: number;
    budget?: ReflectorBudget<RawObject>;
    sliceMs?: number;
    streamLists?: boolean;
    pageSize?: number;
  } = {},
) {
  const clock = new FakeClock();
  const source = new ScriptedListWatch();
  const seen: Seen[] = [];
  const skipped: Array<{ name: string; error: string }> = [];
  const relisted: number[] = [];
  const reflector = new Reflector<RawObject>({
    source,
    project: options.project ?? ((raw) => raw),
    onChange: (type, raw) =>
      seen.push({ type, name: raw.metadata!.name!, version: raw.metadata!.resourceVersion! }),
    onSkipped: (raw, error) => skipped.push({ name: raw.metadata!.name!, error: String(error) }),
    logger: silentLogger(),
    resyncIntervalMs: options.resyncIntervalMs ?? 0,
    watchTimeoutSeconds: 25,
    backoff: { initialMs: 100, maxMs: 1600, resetAfterMs: 60_000 },
    onRelisted: () => relisted.push(seen.length),
    clock,
    // Whole bursts at once, unless a test is about slicing them: the expectations read the
    // cache right after the events are sent.
    sliceMs: options.sliceMs ?? 60_000,
    ...(options.budget ? { budget: options.budget } : {}),
    ...(options.streamLists ? { streamLists: true } : {}),
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  });
  return { clock, source, seen, skipped, reflector, relisted };
}

const connectionRefused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const tooManyRequests = () => Object.assign(new Error('Too Many Requests'), { statusCode: 429 });

describe('Reflector', () => {
  it('lists, then watches from the list’s resourceVersion and applies what the watch sends', async () => {
    const { clock, source, seen, reflector } = setup();
    source.standing = { items: [object('a', '5')], metadata: { resourceVersion: '10' } };
    reflector.start();
    await clock.advance(0);
    expect(reflector.hasSynced).toBe(true);
    expect(source.lists).toEqual([{ limit: 500 }]);
    expect(source.current.options).toEqual({ resourceVersion: '10', timeoutSeconds: 25 });
    source.current.emit('ADDED', object('b', '11'));
    source.current.emit('MODIFIED', object('a', '12'));
    source.current.emit('DELETED', object('b', '13'));
    expect(seen).toEqual([
      { type: 'added', name: 'a', version: '5' },
      { type: 'added', name: 'b', version: '11' },
      { type: 'modified', name: 'a', version: '12' },
      { type: 'deleted', name: 'b', version: '11' },
    ]);
    expect(reflector.get('ns', 'a')?.metadata?.resourceVersion).toBe('12');
    reflector.stop();
  });

  it('follows pages to the end before it reports anything, and retries a failed list', async () => {
    const { clock, source, reflector } = setup();
    source.listAnswers = [
      tooManyRequests(),
      { items: [object('a', '1')], metadata: { continue: 'next', resourceVersion: '20' } },
      { items: [object('b', '2')], metadata: { resourceVersion: '20' } },
    ];
    reflector.start();
    await clock.advance(0);
    expect(reflector.hasSynced).toBe(false);
    await clock.advance(100);
    expect(source.lists).toEqual([{ limit: 500 }, { limit: 500 }, { continueToken: 'next', limit: 500 }]);
    expect(reflector.size).toBe(2);
    expect(source.current.options.resourceVersion).toBe('20');
    reflector.stop();
  });

  it('asks for the next page before it projects the current one', async () => {
    const listsWhenProjected: number[] = [];
    const { clock, source, reflector } = setup({
      project: (raw) => {
        listsWhenProjected.push(source.lists.length);
        return raw;
      },
    });
    source.listAnswers = [
      { items: [object('a', '1')], metadata: { continue: 'second', resourceVersion: '20' } },
      { items: [object('b', '2')], metadata: { continue: 'third', resourceVersion: '20' } },
      { items: [object('c', '3')], metadata: { resourceVersion: '20' } },
    ];
    reflector.start();
    await clock.advance(0);
    expect(listsWhenProjected).toEqual([2, 3, 3]);
    expect(source.lists).toEqual([
      { limit: 500 },
      { continueToken: 'second', limit: 500 },
      { continueToken: 'third', limit: 500 },
    ]);
    expect(reflector.size).toBe(3);
    reflector.stop();
  });

  it('starts the list over when a page fetched ahead fails', async () => {
    const { clock, source, reflector } = setup();
    source.listAnswers = [
      { items: [object('a', '1')], metadata: { continue: 'next', resourceVersion: '20' } },
      Object.assign(new Error('the continue token has expired'), { statusCode: 410 }),
      { items: [object('a', '1'), object('b', '2')], metadata: { resourceVersion: '21' } },
    ];
    reflector.start();
    await clock.advance(0);
    expect(reflector.hasSynced).toBe(false);
    await clock.advance(100);
    expect(source.lists).toEqual([{ limit: 500 }, { continueToken: 'next', limit: 500 }, { limit: 500 }]);
    expect(reflector.size).toBe(2);
    expect(source.current.options.resourceVersion).toBe('21');
    reflector.stop();
  });

  it.each([
    ['a refused connection', connectionRefused],
    ['429 Too Many Requests', tooManyRequests],
    ['an error event', () => undefined],
  ])(
    'after %s it watches again from the last resourceVersion, after a backoff, without listing',
    async (_name, error) => {
      const { clock, source, reflector } = setup();
      reflector.start();
      await clock.advance(0);
      source.current.emit('ADDED', object('a', '7'));
      const failure = error();
      if (failure) source.current.end(failure);
      else {
        source.current.emit('ERROR', { code: 500 } as RawObject & { code: number });
        source.current.end();
      }
      await clock.advance(99);
      expect(source.watches).toHaveLength(1);
      await clock.advance(1);
      expect(source.watches).toHaveLength(2);
      expect(source.current.options.resourceVersion).toBe('7');
      expect(source.lists).toHaveLength(1);
      reflector.stop();
    },
  );

  it('renews a watch the server ended, or a silent one client-node timed out, at once and from the last bookmark', async () => {
    const { clock, source, reflector } = setup();
    reflector.start();
    await clock.advance(0);
    source.current.emit('BOOKMARK', object('', '30'));
    await clock.advance(5000);
    source.current.end();
    await clock.advance(0);
    expect(source.watches).toHaveLength(2);
    expect(source.current.options.resourceVersion).toBe('30');
    await clock.advance(30_000);
    source.current.end(Object.assign(new Error('timed out'), { name: 'TimeoutError' }));
    await clock.advance(0);
    expect(source.watches).toHaveLength(3);
    expect(source.lists).toHaveLength(1);
    reflector.stop();
  });

  it('backs off a watch that closes at once without an event instead of spinning', async () => {
    const { clock, source, reflector } = setup();
    reflector.start();
    await clock.advance(0);
    source.current.end();
    await clock.advance(0);
    expect(source.watches).toHaveLength(1);
    await clock.advance(100);
    expect(source.watches).toHaveLength(2);
    reflector.stop();
  });

  it('relists on 410 Gone, afresh rather than from the expired version, and reports what changed', async () => {
    const { clock, source, seen, reflector } = setup();
    source.listAnswers = [
      { items: [object('a', '1'), object('b', '2')], metadata: { resourceVersion: '5' } },
    ];
    reflector.start();
    await clock.advance(0);
    source.current.emit('MODIFIED', object('a', '6'));
    source.standing = { items: [object('a', '6'), object('c', '8')], metadata: { resourceVersion: '9' } };
    source.current.emit('ERROR', { code: 410 } as RawObject & { code: number });
    source.current.end();
    await clock.advance(100);
    expect(source.lists).toEqual([{ limit: 500 }, { limit: 500 }]);
    expect(source.current.options.resourceVersion).toBe('9');
    expect(seen.slice(3)).toEqual([
      { type: 'resynced', name: 'a', version: '6' },
      { type: 'added', name: 'c', version: '8' },
      { type: 'deleted', name: 'b', version: '2' },
    ]);
    reflector.stop();
  });

  it('reports each relist once it is applied, and not the first list', async () => {
    const { clock, source, reflector, relisted } = setup();
    reflector.start();
    await clock.advance(0);
    expect(relisted).toEqual([]);
    source.standing = { items: [object('c', '8')], metadata: { resourceVersion: '9' } };
    source.current.emit('ERROR', { code: 410 } as RawObject & { code: number });
    source.current.end();
    await clock.advance(100);
    // By the time it is called, the handlers have seen what the relist changed.
    expect(relisted).toEqual([1]);
    expect(source.current.options.resourceVersion).toBe('9');
    // A watch that simply ends resumes from its version: no relist, nothing reported.
    source.current.end();
    await clock.advance(2000);
    expect(source.lists).toHaveLength(2);
    expect(relisted).toEqual([1]);
    reflector.stop();
  });

  it('handles a watch that cannot even be sent (credentials failing inside the Watch) and retries it', async () => {
    const { clock, source, reflector } = setup();
    source.watchRejections = [new Error('exec plugin: token expired')];
    reflector.start();
    await clock.advance(0);
    expect(source.watches).toHaveLength(0);
    await clock.advance(100);
    expect(source.watches).toHaveLength(1);
    expect(source.lists).toHaveLength(1);
    reflector.stop();
  });

  it('keeps doubling the delay while each watch dies right after it starts, and starts over after a healthy interval', async () => {
    const { clock, source, reflector } = setup();
    reflector.start();
    await clock.advance(0);
    const gaps: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const before = clock.now();
      const count = source.watches.length;
      source.current.end(connectionRefused());
      while (source.watches.length === count) await clock.advance(10);
      gaps.push(clock.now() - before);
    }
    expect(gaps).toEqual([100, 200, 400, 800, 1600]);
    await clock.advance(60_001);
    const before = clock.now();
    source.current.end(connectionRefused());
    await clock.advance(100);
    expect(source.watches).toHaveLength(7);
    expect(clock.now() - before).toBe(100);
    reflector.stop();
  });

  it('resyncs from the cache alone: every cached object re-delivered, no list or watch call', async () => {
    const { clock, source, seen, reflector } = setup({ resyncIntervalMs: 4000 });
    source.standing = { items: [object('a', '1'), object('b', '2')], metadata: { resourceVersion: '3' } };
    reflector.start();
    await clock.advance(0);
    seen.length = 0;
    await clock.advance(8000);
    expect(seen.map((change) => `${change.type} ${change.name}`)).toEqual([
      'resynced a',
      'resynced b',
      'resynced a',
      'resynced b',
    ]);
    expect(source.lists).toHaveLength(1);
    expect(source.watches).toHaveLength(1);
    reflector.stop();
  });

  it('skips an object it cannot project, reports it once per version, and syncs the rest', async () => {
    const poisoned = (raw: RawObject) => (raw as { poison?: boolean }).poison === true;
    const { clock, source, seen, skipped, reflector } = setup({
      project: (raw) => {
        if (poisoned(raw)) throw new Error('nodes are null');
        return raw;
      },
    });
    source.standing = {
      items: [object('good', '1'), object('bad', '2', { poison: true })],
      metadata: { resourceVersion: '3' },
    };
    reflector.start();
    await clock.advance(0);
    expect(reflector.hasSynced).toBe(true);
    expect(seen.map((change) => change.name)).toEqual(['good']);
    expect(skipped).toEqual([{ name: 'bad', error: 'Error: nodes are null' }]);
    // The same version again (a relist) is not reported twice; a new version is.
    source.current.emit('MODIFIED', object('bad', '2', { poison: true }));
    source.current.emit('MODIFIED', object('bad', '4', { poison: true }));
    expect(skipped.map((entry) => entry.name)).toEqual(['bad', 'bad']);
    // A cached object that turns unreadable leaves the cache; handlers see it go.
    source.current.emit('MODIFIED', object('good', '5', { poison: true }));
    expect(seen.at(-1)).toEqual({ type: 'deleted', name: 'good', version: '1' });
    expect(reflector.get('ns', 'good')).toBeUndefined();
    source.current.emit('ADDED', object('later', '6'));
    expect(reflector.get('ns', 'later')).toBeDefined();
    reflector.stop();
  });

  it('charges what it stores to a byte budget, skips what does not fit, and relists once room is freed', async () => {
    const account = new ByteBudget({ total: 1000, perGroup: 300 });
    const weighed = (raw: RawObject) => (raw as { weight?: number }).weight ?? 100;
    const budget = { account, weigh: weighed, retryAfterMs: 60_000 };
    const { clock, source, seen, skipped, reflector } = setup({ budget });
    source.listAnswers = [
      {
        items: [object('a', '1', { weight: 200 }), object('b', '2', { weight: 200 })],
        metadata: { resourceVersion: '5' },
      },
    ];
    reflector.start();
    await clock.advance(0);
    expect(seen.map((change) => change.name)).toEqual(['a']);
    expect(skipped).toEqual([{ name: 'b', error: expect.stringContaining('budget of 300 per namespace') }]);
    expect(account.used('ns')).toBe(200);
    // Another namespace has room of its own; the total is shared.
    source.current.emit('ADDED', {
      metadata: { namespace: 'other', name: 'c', resourceVersion: '6' },
      weight: 250,
    } as RawObject);
    expect(account.used()).toBe(450);
    // Room is freed: the skipped object is read again by a relist when the watch next ends.
    source.current.emit('DELETED', object('a', '7'));
    expect(account.used('ns')).toBe(0);
    source.standing = {
      items: [object('b', '2', { weight: 200 }), object('d', '3', { weight: 200 })],
      metadata: { resourceVersion: '8' },
    };
    await clock.advance(5_000);
    source.current.end();
    await clock.advance(0);
    expect(source.lists).toHaveLength(2);
    expect(reflector.get('ns', 'b')).toBeDefined();
    expect(reflector.get('ns', 'd')).toBeUndefined();
    expect(reflector.get('other', 'c')).toBeUndefined();
    expect(account.used()).toBe(200);
    // Refused again (d) and room freed again at once: the next relist waits out retryAfterMs.
    source.current.emit('DELETED', object('b', '9'));
    source.standing = { items: [object('d', '3', { weight: 200 })], metadata: { resourceVersion: '10' } };
    await clock.advance(5_000);
    source.current.end();
    await clock.advance(0);
    expect(source.lists).toHaveLength(2);
    await clock.advance(55_000);
    source.current.end();
    await clock.advance(0);
    expect(source.lists).toHaveLength(3);
    expect(reflector.get('ns', 'd')).toBeDefined();
    // Each skipped version was reported once only, though d was read twice.
    expect(skipped.map((skip) => skip.name)).toEqual(['b', 'd']);
    reflector.stop();
  });

  it('relists, once retryAfterMs has passed, to read again an object skipped for a reason that passes', async () => {
    const account = new ByteBudget({ total: 1000, perGroup: 1000 });
    let busy = true;
    const project = (raw: RawObject) => {
      if (busy && raw.metadata!.name === 'later') throw new UnreadableObject('Busy', 'not now', true);
      return raw;
    };
    const { clock, source, skipped, reflector } = setup({
      project,
      budget: { account, weigh: () => 1, retryAfterMs: 60_000 },
    });
    reflector.start();
    await clock.advance(0);
    source.current.emit('ADDED', object('later', '2'));
    expect(skipped.map((skip) => skip.name)).toEqual(['later']);
    busy = false;
    source.standing = { items: [object('later', '2')], metadata: { resourceVersion: '3' } };
    // The first relist for it may come at once; nothing has been relisted for it before.
    await clock.advance(5_000);
    source.current.end();
    await clock.advance(0);
    expect(source.lists).toHaveLength(2);
    expect(reflector.get('ns', 'later')).toBeDefined();
    reflector.stop();
  });

  it('applies a burst of costly events in order, in slices that let the event loop turn between them', async () => {
    const costly = (raw: RawObject) => {
      const until = performance.now() + 15;
      while (performance.now() < until);
      return raw;
    };
    const { clock, source, seen, reflector } = setup({ project: costly, sliceMs: 10 });
    reflector.start();
    await clock.advance(0);
    for (let i = 0; i < 6; i++) source.current.emit('ADDED', object(`o${i}`, String(10 + i)));
    source.current.end();
    // The first event used up this turn's slice; the others, and the watch's end, wait.
    expect(seen.map((change) => change.name)).toEqual(['o0']);
    let turns = 0;
    while (seen.length < 6) {
      await new Promise((resolve) => setImmediate(resolve));
      turns++;
    }
    expect(turns).toBeGreaterThanOrEqual(5);
    expect(seen.map((change) => change.name)).toEqual(['o0', 'o1', 'o2', 'o3', 'o4', 'o5']);
    await new Promise((resolve) => setImmediate(resolve));
    await clock.advance(0);
    // The next watch starts from the last event applied, not from before the burst.
    expect(source.watches).toHaveLength(2);
    expect(source.current.options.resourceVersion).toBe('15');
    reflector.stop();
  });

  it('logs a handler that throws and keeps going', async () => {
    const clock = new FakeClock();
    const source = new ScriptedListWatch();
    const names: string[] = [];
    const reflector = new Reflector<RawObject>({
      source,
      project: (raw) => raw,
      onChange: (_type, raw) => {
        names.push(raw.metadata!.name!);
        if (raw.metadata!.name === 'boom') throw new Error('handler bug');
      },
      logger: silentLogger(),
      resyncIntervalMs: 0,
      watchTimeoutSeconds: 25,
      clock,
      sliceMs: 60_000,
    });
    reflector.start();
    await clock.advance(0);
    source.current.emit('ADDED', object('boom', '2'));
    source.current.emit('ADDED', object('after', '3'));
    expect(names).toEqual(['boom', 'after']);
    expect(source.watches).toHaveLength(1);
    reflector.stop();
  });

  it('stops: no call after stop, and the watch in progress is closed', async () => {
    const { clock, source, reflector } = setup({ resyncIntervalMs: 1000 });
    reflector.start();
    await clock.advance(0);
    const stream = source.current;
    reflector.stop();
    await flush();
    await clock.advance(10_000);
    expect(stream.stopped).toBe(true);
    expect(source.watches).toHaveLength(1);
    expect(source.lists).toHaveLength(1);
    expect(clock.timers).toBe(0);
  });
});

const endOfInitialEvents = (resourceVersion: string): RawObject =>
  ({
    metadata: { resourceVersion, annotations: { 'k8s.io/initial-events-end': 'true' } },
  }) as RawObject;

describe('Reflector, listing by streaming', () => {
  it('takes the initial events up to their end bookmark as the list, then watches from that bookmark', async () => {
    const { clock, source, seen, reflector } = setup({ streamLists: true });
    reflector.start();
    await clock.advance(0);
    const stream = source.current;
    expect(stream.options).toEqual({ resourceVersion: '', timeoutSeconds: 300, sendInitialEvents: true });
    stream.emit('ADDED', object('a', '5'));
    stream.emit('ADDED', object('b', '6'));
    // Nothing is reported before the end: the list is whole or it is not taken.
    expect(seen).toEqual([]);
    expect(reflector.hasSynced).toBe(false);
    stream.emit('BOOKMARK', { metadata: { resourceVersion: '8' } } as RawObject);
    stream.emit('BOOKMARK', endOfInitialEvents('9'));
    await clock.advance(0);
    expect(stream.stopped).toBe(true);
    expect(reflector.hasSynced).toBe(true);
    expect(source.lists).toEqual([]);
    expect(seen.map(({ type, name }) => `${type} ${name}`)).toEqual(['added a', 'added b']);
    expect(source.current.options).toEqual({ resourceVersion: '9', timeoutSeconds: 25 });
    reflector.stop();
  });

  it('pauses the stream while a page of objects waits to be projected, and resumes it once they are', async () => {
    const { clock, source, reflector } = setup({ streamLists: true, pageSize: 3, sliceMs: 0 });
    reflector.start();
    await clock.advance(0);
    const stream = source.current;
    for (const name of ['a', 'b', 'c', 'd']) stream.emit('ADDED', object(name, '1'));
    expect(stream.paused).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.paused).toBe(false);
    stream.emit('BOOKMARK', endOfInitialEvents('2'));
    await new Promise((resolve) => setImmediate(resolve));
    await clock.advance(0);
    expect(reflector.size).toBe(4);
    reflector.stop();
  });

  it('lists by pages from then on when the API server refuses a streaming list', async () => {
    const { clock, source, reflector, seen } = setup({ streamLists: true });
    source.standing = { items: [object('a', '5')], metadata: { resourceVersion: '10' } };
    reflector.start();
    await clock.advance(0);
    source.current.end(Object.assign(new Error('sendInitialEvents is forbidden'), { statusCode: 422 }));
    await clock.advance(0);
    expect(source.lists).toEqual([{ limit: 500 }]);
    expect(seen).toEqual([{ type: 'added', name: 'a', version: '5' }]);
    expect(source.current.options).toEqual({ resourceVersion: '10', timeoutSeconds: 25 });
    // A relist after 410 Gone goes straight to pages.
    source.current.emit('ERROR', { code: 410 } as RawObject & { code: number });
    source.current.end();
    await clock.advance(1000);
    expect(source.lists).toHaveLength(2);
    expect(source.watches.filter((watch) => watch.options.sendInitialEvents)).toHaveLength(1);
    reflector.stop();
  });

  it('lists by pages once when a stream fails on the way, and streams again at the next relist', async () => {
    const { clock, source, reflector } = setup({ streamLists: true });
    source.standing = { items: [object('a', '5')], metadata: { resourceVersion: '10' } };
    reflector.start();
    await clock.advance(0);
    source.current.emit('ADDED', object('a', '5'));
    source.current.end(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    await clock.advance(0);
    expect(reflector.hasSynced).toBe(true);
    expect(source.lists).toHaveLength(1);
    source.current.emit('ERROR', { code: 410 } as RawObject & { code: number });
    source.current.end();
    await clock.advance(1000);
    const streams = source.watches.filter((watch) => watch.options.sendInitialEvents);
    expect(streams).toHaveLength(2);
    streams[1]!.emit('ADDED', object('b', '20'));
    streams[1]!.emit('BOOKMARK', endOfInitialEvents('21'));
    await clock.advance(0);
    expect(source.lists).toHaveLength(1);
    expect(reflector.get('ns', 'a')).toBeUndefined();
    expect(reflector.get('ns', 'b')).toBeDefined();
    reflector.stop();
  });

  it('projects streamed objects as listed ones: one it cannot read is skipped and reported', async () => {
    const { clock, source, reflector, skipped } = setup({
      streamLists: true,
      project: (raw) => {
        if (raw.metadata?.name === 'bad') throw new UnreadableObject('Unreadable', 'cannot read it');
        return raw;
      },
    });
    reflector.start();
    await clock.advance(0);
    source.current.emit('ADDED', object('good', '1'));
    source.current.emit('ADDED', object('bad', '2'));
    source.current.emit('BOOKMARK', endOfInitialEvents('3'));
    await clock.advance(0);
    expect(reflector.size).toBe(1);
    expect(skipped.map(({ name }) => name)).toEqual(['bad']);
    reflector.stop();
  });

  it('stops a stream in progress when the cache is stopped, and lists nothing more', async () => {
    const { clock, source, reflector } = setup({ streamLists: true });
    reflector.start();
    await clock.advance(0);
    const stream = source.current;
    stream.emit('ADDED', object('a', '1'));
    reflector.stop();
    await clock.advance(5000);
    expect(stream.stopped).toBe(true);
    expect(source.lists).toEqual([]);
    expect(source.watches).toHaveLength(1);
  });
});
