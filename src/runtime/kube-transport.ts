// The API calls a resume makes on every request — its two merge patches and the caches' list and
// watch streams — straight on undici's request API, over the connections the KubeConfig pools.
// client-node sends each call through its generated layers and WHATWG fetch (web streams, a new
// dispatcher built per call, the response read as a web stream and converted again); on this
// machine that cost twice the CPU time of the request itself for a small patch, and the watch
// stream a fifth more per event (docs/performance.md, "Where the time goes"). Credentials still
// come from client-node (KubeConfig.applySecurityAuthentication), refreshed every minute so
// rotated tokens and certificates are picked up, and failures are client-node's own
// ApiException, so error classification reads them as before.
import * as k8s from '@kubernetes/client-node';
import type { Dispatcher } from 'undici';
import { systemClock, type Clock, type Timer } from './clock.js';
import type { PooledKubeConfig } from './pooled-kube-config.js';

/** The content type of a JSON merge patch (RFC 7386). */
export const MERGE_PATCH = 'application/merge-patch+json';

/** How long one set of credentials (headers and pooled dispatcher) is used before it is asked for again. */
const CREDENTIALS_TTL_MS = 60_000;
/** A watch that sends nothing for this long is cut (client-node's own watch does the same). */
export const WATCH_INACTIVITY_MS = 30_000;

type Query = Record<string, string | number | boolean | undefined>;

interface Credentials {
  origin: string;
  /** The server URL's path (a proxy prefix), without a trailing slash. */
  prefix: string;
  headers: Record<string, string>;
  dispatcher: Dispatcher;
  fetchedAt: number;
}

export interface WatchStream {
  stop(): void;
  pause(): void;
  resume(): void;
}

function pathWithQuery(prefix: string, path: string, query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {}))
    if (value !== undefined) params.set(key, String(value));
  const search = params.toString();
  return `${prefix}${path}${search ? `?${search}` : ''}`;
}

/** An error named as client-node names an aborted silent watch, which the reflector takes for a renewal. */
const inactivityTimeout = () =>
  Object.assign(new Error(`the watch sent nothing for ${WATCH_INACTIVITY_MS / 1000} s`), {
    name: 'TimeoutError',
  });

export class KubeTransport {
  private credentials: Credentials | undefined;
  private pending: Promise<Credentials> | undefined;

  /** A PooledKubeConfig, whose dispatcher every refresh hands back, so none is left open. */
  constructor(
    private readonly kubeConfig: PooledKubeConfig,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * One call, its JSON answer parsed. A status outside 2xx throws client-node's ApiException with
   * the body as text, as client-node's own calls do.
   */
  async request<T>(
    method: 'GET' | 'PATCH' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    options: {
      query?: Query;
      body?: unknown;
      contentType?: string;
      signal?: AbortSignal;
      /** The caller does not read the answer: a success resolves with undefined, unparsed. */
      discardAnswer?: boolean;
    } = {},
  ): Promise<T> {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const response = await this.send((credentials) => {
      const headers: Record<string, string> = { ...credentials.headers, accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
      return {
        origin: credentials.origin,
        path: pathWithQuery(credentials.prefix, path, options.query),
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        ...(options.signal ? { signal: options.signal } : {}),
      };
    });
    const succeeded = response.statusCode >= 200 && response.statusCode <= 299;
    if (succeeded && options.discardAnswer) {
      // Read to the end, as bytes, so the connection stays usable (undici's dump() cuts it past 128 KiB).
      for await (const chunk of response.body) void chunk;
      return undefined as T;
    }
    const text = await response.body.text();
    if (!succeeded) {
      throw new k8s.ApiException(
        response.statusCode,
        `${method} ${path}`,
        text,
        flatHeaders(response.headers),
      );
    }
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /**
   * A watch: `onEvent` gets each event's type and object; `onDone` is called exactly once when
   * the stream ends, with the error if there was one (an HTTP status other than 200 carries it as
   * `statusCode`). Rejects when the watch could not even be sent; `onDone` is then not called.
   */
  async watch(
    path: string,
    query: Query,
    onEvent: (type: string, object: unknown) => void,
    onDone: (error: unknown) => void,
  ): Promise<WatchStream> {
    const abort = new AbortController();
    let done = false;
    let inactivity: Timer | undefined;
    let body: Dispatcher.ResponseData['body'] | undefined;
    let paused = false;
    const finish = (error: unknown) => {
      if (done) return;
      done = true;
      inactivity?.cancel();
      abort.abort();
      onDone(error);
    };
    const rearm = () => {
      inactivity?.cancel();
      inactivity = this.clock.after(WATCH_INACTIVITY_MS, () => finish(inactivityTimeout()));
    };
    // Credentials first, so that a watch that cannot even be sent rejects without calling onDone.
    await this.current();
    rearm();
    this.send((credentials) => ({
      origin: credentials.origin,
      path: pathWithQuery(credentials.prefix, path, { ...query, watch: true }),
      method: 'GET',
      headers: { ...credentials.headers, accept: 'application/json' },
      signal: abort.signal,
      // The inactivity timer above bounds a silent stream; undici's own body timeout would cut a
      // healthy quiet one.
      bodyTimeout: 0,
    })).then(
      (response) => {
        if (response.statusCode !== 200) {
          return response.body.text().then(
            (text) =>
              finish(
                Object.assign(new k8s.ApiException(response.statusCode, `watch ${path}`, text, {}), {
                  statusCode: response.statusCode,
                }),
              ),
            finish,
          );
        }
        const lines = new LineSplitter((line) => {
          if (done) return;
          const event = JSON.parse(line) as { type: string; object: unknown };
          onEvent(event.type, event.object);
        });
        body = response.body;
        response.body.setEncoding('utf8');
        response.body.on('data', (chunk: string) => {
          rearm();
          try {
            lines.push(chunk);
          } catch (error) {
            finish(error);
          }
        });
        response.body.on('end', () => finish(null));
        response.body.on('error', finish);
        if (paused) response.body.pause();
      },
      (error: unknown) => finish(error),
    );
    return {
      stop: () => finish(Object.assign(new Error('the watch was stopped'), { name: 'AbortError' })),
      // A paused stream sends nothing: the inactivity timer waits until it is resumed.
      pause: () => {
        paused = true;
        inactivity?.cancel();
        body?.pause();
      },
      resume: () => {
        if (!paused || done) return;
        paused = false;
        rearm();
        body?.resume();
      },
    };
  }

  /**
   * Sends one request with the current credentials. The KubeConfig renews its pooled connections
   * every few minutes, whoever asks for credentials at that moment (client-node's own calls, the
   * lease's), and closes the old ones, which these credentials may still name for the rest of their
   * minute; undici refuses a request on a closed dispatcher before sending anything, so it is sent
   * again at once with fresh credentials instead of failing every call until they expire.
   */
  private async send(build: (credentials: Credentials) => Dispatcher.RequestOptions) {
    const credentials = await this.current();
    try {
      return await credentials.dispatcher.request(build(credentials));
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'UND_ERR_CLOSED') throw error;
      if (this.credentials === credentials) this.credentials = undefined;
      const fresh = await this.current();
      return await fresh.dispatcher.request(build(fresh));
    }
  }

  /** The credentials to send, fetched at most once a minute (and once at a time). */
  private async current(): Promise<Credentials> {
    const held = this.credentials;
    if (held && this.clock.now() - held.fetchedAt < CREDENTIALS_TTL_MS) return held;
    this.pending ??= this.fetchCredentials().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async fetchCredentials(): Promise<Credentials> {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('no Kubernetes cluster configured');
    const server = new URL(cluster.server);
    const context = new k8s.RequestContext(server.toString(), k8s.HttpMethod.GET);
    await this.kubeConfig.applySecurityAuthentication(context);
    const dispatcher = context.getDispatcher() as Dispatcher | undefined;
    if (!dispatcher) throw new Error(`no connection settings for ${cluster.server}`);
    this.credentials = {
      origin: server.origin,
      prefix: server.pathname.replace(/\/+$/, ''),
      headers: context.getHeaders(),
      dispatcher,
      fetchedAt: this.clock.now(),
    };
    return this.credentials;
  }
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).flatMap(([key, value]) =>
      value === undefined ? [] : [[key, Array.isArray(value) ? value.join(', ') : value]],
    ),
  );
}

/**
 * Splits a stream of text into lines (a watch sends one JSON event per line). Only each new chunk
 * is searched for line ends, so a large object arriving in many chunks is joined once.
 */
export class LineSplitter {
  private readonly partial: string[] = [];

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    let start = 0;
    for (let end = chunk.indexOf('\n'); end >= 0; end = chunk.indexOf('\n', start)) {
      const tail = chunk.slice(start, end);
      const line = this.partial.length === 0 ? tail : this.partial.join('') + tail;
      this.partial.length = 0;
      start = end + 1;
      if (line.length > 0) this.onLine(line);
    }
    if (start < chunk.length) this.partial.push(chunk.slice(start));
  }
}
