import { ApiException } from '@kubernetes/client-node';
import { classifyError, type ErrorClass } from '../../src/domain/errors.js';

const api = (code: number) =>
  new ApiException(code, 'message text that must not matter', '{"reason":"Conflict"}', {});
const node = (code: string) => Object.assign(new Error('connect failed'), { code });
const fetchFailed = (code: string) => new TypeError('fetch failed', { cause: node(code) });

describe('classifyError', () => {
  it.each<[string, unknown, ErrorClass]>([
    ['ApiException 408', api(408), 'retryable'],
    ['ApiException 429', api(429), 'retryable'],
    ['ApiException 500', api(500), 'retryable'],
    ['ApiException 502', api(502), 'retryable'],
    ['ApiException 503', api(503), 'retryable'],
    ['ApiException 504', api(504), 'retryable'],
    ['ApiException 409', api(409), 'conflict'],
    ['ApiException 410', api(410), 'conflict'],
    ['ApiException 404', api(404), 'not-found'],
    ['ApiException 400', api(400), 'terminal'],
    ['ApiException 401', api(401), 'terminal'],
    ['ApiException 403', api(403), 'terminal'],
    ['ApiException 422', api(422), 'terminal'],
    ['ApiException 501', api(501), 'terminal'],
    ['statusCode 503', { statusCode: 503 }, 'retryable'],
    ['response.status 429', { response: { status: 429 } }, 'retryable'],
    ['response.statusCode 409', { response: { statusCode: 409 } }, 'conflict'],
    ['ECONNREFUSED', node('ECONNREFUSED'), 'retryable'],
    ['ECONNRESET', node('ECONNRESET'), 'retryable'],
    ['ETIMEDOUT', node('ETIMEDOUT'), 'retryable'],
    ['EAI_AGAIN', node('EAI_AGAIN'), 'retryable'],
    ['UND_ERR_SOCKET', node('UND_ERR_SOCKET'), 'retryable'],
    ['fetch failed: ECONNREFUSED', fetchFailed('ECONNREFUSED'), 'retryable'],
    ['fetch failed: UND_ERR_CONNECT_TIMEOUT', fetchFailed('UND_ERR_CONNECT_TIMEOUT'), 'retryable'],
    ['fetch failed: ENOTFOUND', fetchFailed('ENOTFOUND'), 'terminal'],
    [
      'AbortSignal.timeout',
      new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
      'retryable',
    ],
    [
      'an HTTP status deep in the cause chain',
      new Error('wrapped', { cause: new Error('inner', { cause: api(503) }) }),
      'retryable',
    ],
    ['a plain Error', new Error('ECONNREFUSED 503 conflict'), 'terminal'],
    ['a string', 'ECONNRESET', 'terminal'],
    ['undefined', undefined, 'terminal'],
    ['null', null, 'terminal'],
    ['a numeric code that is not HTTP', { code: 23 }, 'terminal'],
  ])('%s → %s', (_name, error, expected) => {
    expect(classifyError(error)).toBe(expected);
  });

  it('ignores the message entirely', () => {
    const conflictWords = Object.assign(new Error('409 Conflict: the object has been modified'), {
      code: 'EACCES',
    });
    expect(classifyError(conflictWords)).toBe('terminal');
  });

  it('stops following a cause chain that loops', () => {
    const a: { cause?: unknown } = {};
    a.cause = a;
    expect(classifyError(a)).toBe('terminal');
  });
});
