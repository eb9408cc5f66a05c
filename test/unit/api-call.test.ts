import { ApiException } from '@kubernetes/client-node';
import { classifyError, describeApiCall, describeError } from '../../src/domain/errors.js';
import { apiCall, ApiCallError } from '../../src/runtime/api-call.js';

// What kube-apiserver answers when the lease's namespace does not exist, as client-node wraps it.
const namespaceMissing = new ApiException(
  404,
  'HTTP-Code: 404\nMessage: Unknown API Status Code!\nBody: "{\\"kind\\":\\"Status\\"…"',
  JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'namespaces "workflow-resume-system" not found',
    reason: 'NotFound',
    details: { name: 'workflow-resume-system', kind: 'namespaces' },
    code: 404,
  }),
  {},
);
const refused = new TypeError('fetch failed', {
  cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }),
});

describe('describeApiCall', () => {
  it('names the call, the HTTP code, the reason and the API message, not client-node text', () => {
    expect(describeApiCall('create', 'leases', 'workflow-resume-system/op', namespaceMissing)).toBe(
      'create leases workflow-resume-system/op: 404 NotFound: namespaces "workflow-resume-system" not found',
    );
  });

  it('reads a Status body that client-node already parsed', () => {
    const error = new ApiException(403, 'x', { reason: 'Forbidden', message: 'cannot list' }, {});
    expect(describeApiCall('list', 'workflows.argoproj.io', 'ns', error)).toBe(
      'list workflows.argoproj.io ns: 403 Forbidden: cannot list',
    );
  });

  it('falls back to the HTTP status text when the body says nothing', () => {
    expect(describeApiCall('get', 'leases', 'a/b', new ApiException(503, 'x', '', {}))).toBe(
      'get leases a/b: 503: Service Unavailable',
    );
  });

  it('gives the error code and the cause for a network failure', () => {
    expect(describeApiCall('watch', 'resumerequests', 'ns', refused)).toBe(
      'watch resumerequests ns: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:6443',
    );
  });
});

describe('apiCall', () => {
  it('rethrows a failure named for its call, still classified by its HTTP status', async () => {
    const failure = apiCall('create', 'leases', 'ns/op', () => Promise.reject(namespaceMissing));
    await expect(failure).rejects.toBeInstanceOf(ApiCallError);
    const error = await failure.catch((e: unknown) => e);
    expect(classifyError(error)).toBe('not-found');
    expect(describeError(error)).toBe(
      'create leases ns/op: 404 NotFound: namespaces "workflow-resume-system" not found',
    );
  });

  it('passes a result through', async () => {
    await expect(apiCall('get', 'leases', 'ns/op', () => Promise.resolve(7))).resolves.toBe(7);
  });
});
