// The operator's HTTP endpoints: /healthz (the process is alive), /readyz (caches synced while
// leading, or standing by as a follower), /metrics (Prometheus).
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface Probes {
  healthy: () => boolean;
  ready: () => boolean;
  /** Sets the gauges that are read from state rather than counted as things happen. */
  beforeScrape?: () => void;
}

export function startServer(listen: string, registry: Registry, probes: Probes): Promise<Server> {
  const separator = listen.lastIndexOf(':');
  const host = listen.slice(0, separator).replace(/^\[|\]$/g, '');
  const port = Number(listen.slice(separator + 1));
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const answer = (ok: boolean) => {
      response.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
      response.end(ok ? 'ok\n' : 'not ready\n');
    };
    if (path === '/healthz') return answer(probes.healthy());
    if (path === '/readyz') return answer(probes.ready());
    if (path === '/metrics') {
      probes.beforeScrape?.();
      registry.metrics().then(
        (body) => {
          response.writeHead(200, { 'content-type': registry.contentType });
          response.end(body);
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(String(error));
        },
      );
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
