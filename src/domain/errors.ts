// How a failed API call should be handled, decided from the HTTP status or the Node/undici error
// code only: messages change between versions and languages, codes do not.
//   retryable  — try the same call again later (with backoff, through the breaker)
//   conflict   — our read was stale: read again and decide again; not a failed attempt
//   not-found  — the object is gone (the caller knows whether that ends the request)
//   terminal   — retrying cannot help (bad request, no permission, invalid object)
import http from 'node:http';

export type ErrorClass = 'retryable' | 'conflict' | 'terminal' | 'not-found';

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);
/** 410 Gone: the resourceVersion we read from has expired, which a fresh read cures. */
const CONFLICT_STATUS = new Set([409, 410]);

const RETRYABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ABORT_ERR',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_ABORTED',
  'UND_ERR_REQ_RETRY',
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
/** Errors that carry no code but whose type says the request timed out or was cut off. */
const RETRYABLE_NAMES = new Set(['TimeoutError', 'AbortError', 'ConnectTimeoutError', 'SocketError']);

type Fields = {
  code?: unknown;
  statusCode?: unknown;
  name?: unknown;
  response?: { status?: unknown; statusCode?: unknown };
  cause?: unknown;
};

function httpStatus(error: Fields): number | undefined {
  for (const candidate of [
    error.code,
    error.statusCode,
    error.response?.status,
    error.response?.statusCode,
  ]) {
    // DOMException has a numeric `code` too (23 for TimeoutError); only 100–599 is HTTP.
    if (typeof candidate === 'number' && candidate >= 100 && candidate <= 599) return candidate;
  }
  return undefined;
}

function classifyStatus(status: number): ErrorClass {
  if (status === 404) return 'not-found';
  if (CONFLICT_STATUS.has(status)) return 'conflict';
  if (RETRYABLE_STATUS.has(status)) return 'retryable';
  return 'terminal';
}

/** The error, then its causes (fetch wraps the socket error as `cause`), at most a few deep. */
function* chain(error: unknown): Generator<Fields> {
  let current = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    yield current as Fields;
    current = (current as Fields).cause;
  }
}

export function classifyError(error: unknown): ErrorClass {
  for (const fields of chain(error)) {
    const status = httpStatus(fields);
    if (status !== undefined) return classifyStatus(status);
    if (typeof fields.code === 'string' && RETRYABLE_CODES.has(fields.code)) return 'retryable';
    if (typeof fields.name === 'string' && RETRYABLE_NAMES.has(fields.name)) return 'retryable';
  }
  return 'terminal';
}

/** The error as a user reads it in status: HTTP status and the API's own reason when there is one. */
export function describeError(error: unknown): string {
  const e = error as {
    code?: unknown;
    statusCode?: unknown;
    body?: unknown;
    message?: unknown;
    cause?: { code?: unknown };
  };
  const status =
    typeof e?.code === 'number' ? e.code : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  let apiMessage: string | undefined;
  if (typeof e?.body === 'string') {
    try {
      apiMessage = (JSON.parse(e.body) as { message?: string }).message;
    } catch {
      apiMessage = undefined;
    }
  } else if (e?.body && typeof e.body === 'object') {
    apiMessage = (e.body as { message?: string }).message;
  }
  const code =
    typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const parts = [
    status ? `HTTP ${status}` : undefined,
    code,
    apiMessage ?? (typeof e?.message === 'string' ? e.message : String(error)),
  ];
  return parts.filter(Boolean).join(': ').slice(0, 512);
}

/** What an API error says about itself: HTTP status, the Status object's reason and message. */
function apiStatus(error: unknown): { status?: number; reason?: string; message: string } {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Fields & {
    body?: unknown;
    message?: unknown;
  };
  let body: { reason?: unknown; message?: unknown } | undefined;
  if (typeof e.body === 'string') {
    try {
      body = JSON.parse(e.body) as typeof body;
    } catch {
      body = e.body.trim() ? { message: e.body } : undefined;
    }
  } else if (typeof e.body === 'object' && e.body !== null) {
    body = e.body as typeof body;
  }
  const status = httpStatus(e);
  const reason = typeof body?.reason === 'string' ? body.reason : undefined;
  if (typeof body?.message === 'string') return { status, reason, message: body.message };
  // client-node's own message for an HTTP error repeats the raw body; without one, say the cause.
  const causes = [...chain(error)];
  const code = causes.map((c) => c.code).find((c): c is string => typeof c === 'string');
  const last = causes.at(-1) as { message?: unknown } | undefined;
  const text = typeof last?.message === 'string' && last.message ? last.message : String(error);
  return { status, reason: reason ?? code, message: status ? (http.STATUS_CODES[status] ?? text) : text };
}

/**
 * A failed API call as one readable line:
 * `<verb> <resource> <namespace/name>: <HTTP code> <reason>: <message>`, never client-node's raw
 * text. Network failures carry the error code in place of the HTTP code and reason.
 */
export function describeApiCall(verb: string, resource: string, key: string, error: unknown): string {
  const { status, reason, message } = apiStatus(error);
  const head = [status, reason].filter((part) => part !== undefined).join(' ');
  return `${verb} ${resource} ${key}: ${head ? `${head}: ` : ''}${message}`.slice(0, 1024);
}
