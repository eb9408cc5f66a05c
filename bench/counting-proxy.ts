// A TLS proxy on 127.0.0.1 between the operator and the kube-apiserver that counts the
// operator's requests by verb and resource. The apiserver's own request metric has no user
// label, and the same resources are also written by the Argo controller and by this benchmark,
// so counting at the operator's connection is the only way to attribute requests exactly
// without changing the operator. It serves the apiserver's own certificate, so the operator's
// kubeconfig differs only in the port, and streams bodies through (watches included).
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { Agent, createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describeApiRequest, type Tally } from './api-requests.js';
import type { Deadline } from './deadline.js';

export interface CountingProxy {
  port: number;
  /** A copy of the counts so far, by "verb resource". */
  snapshot(): Tally;
  /** Resolves once no request has arrived for `quietMs`. */
  quiet(quietMs: number, deadline: Deadline): Promise<void>;
  /** Cuts every open watch stream, as a load balancer dropping idle connections does; returns how many. */
  dropWatches(): number;
  /**
   * Ends every open watch stream with the 410 Gone an API server sends when the watched version
   * is no longer kept, which makes a client relist; returns how many.
   */
  expireWatches(): number;
  /**
   * Holds back the answers to the requests `matches` picks (the apiserver has done the request;
   * its answer waits here) until `release()`: a write whose answer is slow to come back.
   */
  holdAnswers(matches: (method: string, url: string) => boolean): HeldAnswers;
  close(): Promise<void>;
}

export interface HeldAnswers {
  /** How many answers are held now. */
  held(): number;
  /** Sends every held answer on, and holds no more. */
  release(): void;
}

/** The event an API server sends on a watch whose resourceVersion it no longer keeps. */
const GONE = {
  type: 'ERROR',
  object: {
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    message: 'too old resource version (expired by the benchmark)',
    reason: 'Expired',
    code: 410,
  },
};

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'upgrade', 'te', 'trailer'];

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const copy = { ...headers };
  for (const name of HOP_BY_HOP) delete copy[name];
  return copy;
}

/** Listens on a free loopback port and forwards to the plane's apiserver on `upstreamPort`. */
export async function startCountingProxy(planeDir: string, upstreamPort: number): Promise<CountingProxy> {
  const pki = (file: string) => readFileSync(join(planeDir, 'pki', file));
  const agent = new Agent({ keepAlive: true, ca: pki('ca.crt') });
  const counts = new Map<string, number>();
  let lastRequestAtMs = performance.now();
  /** Open watch streams, and whether the last byte sent ended an event (a 410 may follow). */
  const watches = new Map<ServerResponse, { atLineStart: boolean; end: () => void }>();
  let hold: { matches: (method: string, url: string) => boolean; answers: (() => void)[] } | undefined;
  const server = createServer(
    { cert: pki('apiserver.crt'), key: pki('apiserver.key') },
    (incoming, outgoing) => {
      const kind = describeApiRequest(incoming.method ?? 'GET', incoming.url ?? '/');
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
      lastRequestAtMs = performance.now();
      const watching = /[?&]watch=(true|1)(&|$)/.test(incoming.url ?? '');
      const upstream = request(
        {
          host: '127.0.0.1',
          port: upstreamPort,
          method: incoming.method,
          path: incoming.url,
          headers: { ...endToEnd(incoming.headers), host: `127.0.0.1:${upstreamPort}` },
          agent,
        },
        (response) => {
          const answer = () => {
            outgoing.writeHead(response.statusCode ?? 502, endToEnd(response.headers));
            if (!watching || response.statusCode !== 200) return void response.pipe(outgoing);
            const stream = {
              atLineStart: true,
              end: () => {
                response.unpipe(outgoing);
                response.destroy();
              },
            };
            watches.set(outgoing, stream);
            outgoing.on('close', () => watches.delete(outgoing));
            response.on('data', (chunk: Buffer) => {
              stream.atLineStart = chunk.at(-1) === 0x0a;
            });
            response.pipe(outgoing);
          };
          if (hold?.matches(incoming.method ?? 'GET', incoming.url ?? '/')) hold.answers.push(answer);
          else answer();
        },
      );
      upstream.on('error', (error) => {
        if (outgoing.headersSent) outgoing.destroy(error);
        else outgoing.writeHead(502, { 'content-type': 'text/plain' }).end(`proxy: ${error.message}`);
      });
      // The operator closing a watch (or dying) must close the stream to the apiserver too.
      outgoing.on('close', () => {
        if (!outgoing.writableFinished) upstream.destroy();
      });
      incoming.pipe(upstream);
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    snapshot: () => new Map(counts),
    async quiet(quietMs, deadline) {
      const settle = async () => {
        for (;;) {
          const silentMs = performance.now() - lastRequestAtMs;
          if (silentMs >= quietMs || deadline.remainingMs() === 0) return;
          await new Promise((resolve) => setTimeout(resolve, quietMs - silentMs));
        }
      };
      await deadline.within(`the operator to make no request for ${quietMs} ms`, settle());
    },
    holdAnswers(matches) {
      const current = { matches, answers: [] as (() => void)[] };
      hold = current;
      return {
        held: () => current.answers.length,
        release() {
          if (hold === current) hold = undefined;
          for (const answer of current.answers.splice(0)) answer();
        },
      };
    },
    dropWatches() {
      const dropped = watches.size;
      for (const watch of watches.keys()) watch.destroy();
      watches.clear();
      return dropped;
    },
    expireWatches() {
      let expired = 0;
      for (const [watch, stream] of watches) {
        stream.end();
        // Half an event already sent cannot be followed by another: that stream is only cut.
        if (stream.atLineStart) {
          watch.write(`${JSON.stringify(GONE)}\n`);
          expired += 1;
        }
        watch.end();
      }
      watches.clear();
      return expired;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
