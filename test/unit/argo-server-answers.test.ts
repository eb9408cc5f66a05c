import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as k8s from '@kubernetes/client-node';
import {
  ArgoServerBackend,
  ArgoServerError,
  classifySetAnswer,
} from '../../src/backends/argo-server-backend.js';
import { classifyError } from '../../src/domain/errors.js';

// Bodies as argo-server's gRPC gateway writes them for util.SetWorkflow's errors (code 13: Internal).
const answer = (message: string) => new ArgoServerError(500, JSON.stringify({ code: 13, message }));

describe("argo-server's answers to a set", () => {
  it('reads "no suspend node matched" as a node that moved on', () => {
    const error = answer(
      'currently, set only targets suspend nodes: no suspend nodes matching nodeFieldSelector: id=play-1',
    );
    expect(classifySetAnswer(error)).toEqual({ outcome: 'stale' });
  });

  it.each([
    "node is not expecting output parameter 'approver'",
    'cannot set output parameters because node is not expecting any raw parameters',
    "cannot set output parameter 'approver' because it does not use valueFrom.raw or it was already set",
  ])('reads "%s" as a rejected parameter', (message) => {
    expect(classifySetAnswer(answer(message))).toEqual(
      expect.objectContaining({ outcome: 'rejected', reason: 'UnexpectedParameter' }),
    );
  });

  it('leaves other errors to the classifier, which retries a 500', () => {
    const error = answer('etcdserver: request timed out');
    expect(classifySetAnswer(error)).toBeUndefined();
    expect(classifyError(error)).toBe('retryable');
    expect(classifySetAnswer(new ArgoServerError(502, '<html>bad gateway</html>'))).toBeUndefined();
  });
});

describe("argo-server's answer to a read", () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    // A workflow whose node status runs to 4 MB, as whoever writes the workflow may make it.
    const huge = JSON.stringify({
      metadata: { name: 'play' },
      status: { nodes: { a: { message: 'x'.repeat(4 << 20) } } },
    });
    server = createServer((_req, res) => res.end(huge));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const backend = (maxResponseBytes?: number) =>
    new ArgoServerBackend({
      url,
      tokenFile: undefined,
      insecureSkipVerify: false,
      kubernetes: {} as k8s.CustomObjectsApi,
      ...(maxResponseBytes === undefined ? {} : { maxResponseBytes }),
    });

  it('is cut off past its byte bound, which fails the read', async () => {
    await expect(backend(1 << 20).hydrate('ci', 'play')).rejects.toThrow(
      'argo-server answered more than 1048576 bytes',
    );
    await expect(backend().hydrate('ci', 'play')).resolves.toMatchObject({ metadata: { name: 'play' } });
  });
});
