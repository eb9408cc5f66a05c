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
  close(): Promise<void>;
}

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
  const watches = new Set<ServerResponse>();
  const server = createServer(
    { cert: pki('apiserver.crt'), key: pki('apiserver.key') },
    (incoming, outgoing) => {
      const kind = describeApiRequest(incoming.method ?? 'GET', incoming.url ?? '/');
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
      lastRequestAtMs = performance.now();
      if (/[?&]watch=(true|1)(&|$)/.test(incoming.url ?? '')) {
        watches.add(outgoing);
        outgoing.on('close', () => watches.delete(outgoing));
      }
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
          outgoing.writeHead(response.statusCode ?? 502, endToEnd(response.headers));
          response.pipe(outgoing);
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
    dropWatches() {
      const dropped = watches.size;
      for (const watch of watches) watch.destroy();
      watches.clear();
      return dropped;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
