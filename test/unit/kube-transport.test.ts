// The transport's HTTP edges against a local HTTP server that answers like an API server's
// framing (status codes, JSON bodies, one watch event per line in arbitrary chunks); what the
// API server itself does is covered by the integration tests, which run every cache and resume
// through this transport.
import { jest } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { KubeTransport, LineSplitter, MERGE_PATCH } from '../../src/runtime/kube-transport.js';
import { PooledKubeConfig } from '../../src/runtime/pooled-kube-config.js';
import { classifyError } from '../../src/domain/errors.js';

describe('LineSplitter', () => {
  it('gives each whole line once, however the chunks cut it, and keeps a partial last line', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.push('{"a":1}\n{"b"');
    splitter.push(':2');
    splitter.push('}\n\n{"c":3}\n{"d"');
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
    splitter.push(':4}\n');
    expect(lines.at(-1)).toBe('{"d":4}');
  });
});

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

async function serve(
  handler: Handler,
): Promise<{ server: Server; transport: KubeTransport; kubeConfig: PooledKubeConfig }> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => handler(request, body, response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const kubeConfig = new PooledKubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}/prefix`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return { server, transport: new KubeTransport(kubeConfig), kubeConfig };
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

describe('KubeTransport.request', () => {
  it('sends the credentials, the query and the body, and parses the answer', async () => {
    const seen: Array<{ method?: string; url?: string; auth?: string; type?: string; body: string }> = [];
    const { server, transport } = await serve((request, body, response) => {
      seen.push({
        method: request.method,
        url: request.url,
        auth: request.headers.authorization,
        type: request.headers['content-type'],
        body,
      });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"metadata":{"name":"r"}}');
    });
    try {
      const answer = await transport.request<{ metadata: { name: string } }>('PATCH', '/apis/g/v1/x/r', {
        query: { limit: 50, continue: undefined, labelSelector: 'a=b' },
        body: { status: { phase: 'Succeeded' } },
        contentType: MERGE_PATCH,
      });
      expect(answer.metadata.name).toBe('r');
      expect(seen).toEqual([
        {
          method: 'PATCH',
          url: '/prefix/apis/g/v1/x/r?limit=50&labelSelector=a%3Db',
          auth: 'Bearer secret-token',
          type: MERGE_PATCH,
          body: '{"status":{"phase":"Succeeded"}}',
        },
      ]);
    } finally {
      await close(server);
    }
  });

  it("throws client-node's ApiException with the status and the body, which classifyError reads", async () => {
    const status = { kind: 'Status', reason: 'Conflict', code: 409, message: 'the object has been modified' };
    const { server, transport } = await serve((_request, _body, response) => {
      response.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify(status));
    });
    try {
      const failure = await transport.request('PATCH', '/x', { body: {} }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(k8s.ApiException);
      expect(failure).toMatchObject({ code: 409, body: JSON.stringify(status) });
      expect(classifyError(failure)).toBe('conflict');
    } finally {
      await close(server);
    }
  });
});

describe('KubeTransport.watch', () => {
  it('delivers each event of a stream cut anywhere, then ends once without an error', async () => {
    const { server, transport } = await serve((request, _body, response) => {
      expect(request.url).toBe('/prefix/w?resourceVersion=7&watch=true');
      response.writeHead(200, { 'content-type': 'application/json' });
      const text =
        '{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"MODIFIED","object":{"metadata":{"name":"b"}}}\n';
      response.write(text.slice(0, 30));
      setTimeout(() => response.end(text.slice(30)), 20);
    });
    try {
      const events: string[] = [];
      const ended = new Promise<unknown>((resolve) => {
        void transport.watch(
          '/w',
          { resourceVersion: '7' },
          (type, object) =>
            events.push(`${type} ${(object as { metadata: { name: string } }).metadata.name}`),
          resolve,
        );
      });
      expect(await ended).toBeNull();
      expect(events).toEqual(['ADDED a', 'MODIFIED b']);
    } finally {
      await close(server);
    }
  });

  it('ends with the HTTP status when the server refuses the watch, such as 410 Gone', async () => {
    const { server, transport } = await serve((_request, _body, response) => {
      response.writeHead(410).end('{"kind":"Status","code":410}');
    });
    try {
      const ended = new Promise<unknown>(
        (resolve) => void transport.watch('/w', {}, () => undefined, resolve),
      );
      expect(await ended).toMatchObject({ statusCode: 410, code: 410 });
    } finally {
      await close(server);
    }
  });

  it('ends with an error when a line is not JSON, rather than skipping an event unseen', async () => {
    const { server, transport } = await serve((_request, _body, response) => {
      response.writeHead(200);
      response.write('not json\n');
    });
    try {
      const ended = new Promise<unknown>(
        (resolve) => void transport.watch('/w', {}, () => undefined, resolve),
      );
      expect(await ended).toBeInstanceOf(SyntaxError);
    } finally {
      await close(server);
    }
  });

  it('stops when asked, and says so once', async () => {
    const { server, transport } = await serve((_request, _body, response) => {
      response.writeHead(200);
      response.write('{"type":"ADDED","object":{}}\n');
    });
    try {
      const endings: unknown[] = [];
      let first!: () => void;
      const added = new Promise<void>((resolve) => (first = resolve));
      const stream = await transport.watch(
        '/w',
        {},
        () => first(),
        (error) => endings.push(error),
      );
      await added;
      stream.stop();
      stream.stop();
      expect(endings).toHaveLength(1);
      expect(endings[0]).toMatchObject({ name: 'AbortError' });
    } finally {
      await close(server);
    }
  });
});

describe('KubeTransport.request, answer discarded', () => {
  it('reads a large answer to the end without parsing it, and the connection serves the next call', async () => {
    let calls = 0;
    const { server, transport } = await serve((_request, _body, response) => {
      calls += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(calls === 1 ? `{"pad":"${'x'.repeat(1 << 20)}"` : '{"ok":true}');
    });
    try {
      // Not even JSON: it is never parsed.
      await expect(
        transport.request('PATCH', '/x', { body: {}, discardAnswer: true }),
      ).resolves.toBeUndefined();
      await expect(transport.request('GET', '/y')).resolves.toEqual({ ok: true });
    } finally {
      await close(server);
    }
  });
});

describe('KubeTransport, when the pool renews its connections', () => {
  it('sends on the new ones at once rather than failing on the closed ones until its credentials expire', async () => {
    const { server, transport, kubeConfig } = await serve((request, _body, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      if (request.url?.includes('watch=true')) response.end('{"type":"ADDED","object":{}}\n');
      else response.end('{"ok":true}');
    });
    try {
      await transport.request('GET', '/before');
      // Another client of the same KubeConfig (client-node's lease calls) asks for credentials
      // after the pool's renewal period: the pool makes a new Agent and closes the one the
      // transport still holds for the rest of its minute.
      const renewal = jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 11 * 60_000);
      try {
        const context = new k8s.RequestContext(kubeConfig.getCurrentCluster()!.server, k8s.HttpMethod.GET);
        await kubeConfig.applySecurityAuthentication(context);
      } finally {
        renewal.mockRestore();
      }
      expect(await transport.request('GET', '/after')).toEqual({ ok: true });
      const events: string[] = [];
      const ended = new Promise<unknown>(
        (resolve) => void transport.watch('/w', {}, (type) => events.push(type), resolve),
      );
      expect(await ended).toBeNull();
      expect(events).toEqual(['ADDED']);
    } finally {
      await close(server);
    }
  });
});
