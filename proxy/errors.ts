/**
 * The proxy's catalogue of error codes. Logs, metrics and JSON error bodies carry the code;
 * nothing matches on messages. The test `errors.test.ts` pins this table.
 */
export const STRANGLER_ERRORS = Object.freeze({
  STRANGLER_ERR_BAD_PATH: { status: 400, message: 'The request path is not allowed (dot-segments, encoded slashes or backslashes, empty segments, bad percent-encoding or a non-origin-form target)' },
  STRANGLER_ERR_BAD_REQUEST: { status: 400, message: 'The request is malformed' },
  STRANGLER_ERR_AMBIGUOUS_REQUEST: { status: 400, message: 'The request could be read two ways (more than one Host, or Transfer-Encoding on HTTP/1.0)' },
  STRANGLER_ERR_TOO_MANY_HEADERS: { status: 431, message: 'The request has too many header fields' },
  STRANGLER_ERR_UPGRADE_UNSUPPORTED: { status: 501, message: 'This protocol upgrade is not supported here: WebSocket only on routes with websocket: true, never h2c or other protocols' },
  STRANGLER_ERR_BAD_HANDSHAKE: { status: 400, message: 'The WebSocket handshake is malformed (RFC 6455 §4.1: a GET over HTTP/1.1 with Host, one 16-byte Sec-WebSocket-Key and no body)' },
  STRANGLER_ERR_WEBSOCKET_VERSION: { status: 426, message: 'Only WebSocket version 13 is supported (Sec-WebSocket-Version: 13)' },
  STRANGLER_ERR_UPSTREAM_REFUSED: { status: 502, message: 'The upstream refused the connection' },
  STRANGLER_ERR_UPSTREAM_RESET: { status: 502, message: 'The upstream closed the connection before answering' },
  STRANGLER_ERR_UPSTREAM_MALFORMED: { status: 502, message: 'The upstream sent a malformed response' },
  STRANGLER_ERR_UPSTREAM_FAILED: { status: 502, message: 'The upstream request failed' },
  STRANGLER_ERR_UPSTREAM_STATUS: { status: 502, message: 'The extracted service answered with a failure status and the request cannot be retried' },
  STRANGLER_ERR_UPSTREAM_TIMEOUT: { status: 504, message: 'The upstream did not answer in time' },
  STRANGLER_ERR_RESPONSE_ABORTED: { status: 502, message: 'The upstream response was cut off mid-body; the client connection was aborted' },
  STRANGLER_ERR_CLIENT_GONE: { status: 499, message: 'The client closed the connection' },
  STRANGLER_ERR_SHUTTING_DOWN: { status: 503, message: 'The proxy is shutting down' },
  STRANGLER_ERR_OVERLOADED: { status: 503, message: 'The upstream is at capacity and this request could not be served in time; it was not sent. Retry after the time in Retry-After' },
  STRANGLER_ERR_RATE_LIMITED: { status: 429, message: 'Too many requests for this route from this client; retry after the time in Retry-After' },
  STRANGLER_ERR_ADMIN_HOST: { status: 403, message: 'The admin port only answers requests addressed to its own host' },
  STRANGLER_ERR_ADMIN_HEADER: { status: 403, message: 'POST /reload requires the header x-strangler-admin: 1' },
  STRANGLER_ERR_ADMIN_NOT_FOUND: { status: 404, message: 'No such admin endpoint' },
  STRANGLER_ERR_RULES_INVALID: { status: 422, message: 'The rules file is invalid; the last good rules stay active' },
} as const);

export type StranglerErrorCode = keyof typeof STRANGLER_ERRORS;

/** The JSON body of every error the proxy itself answers. */
export function errorBody(code: StranglerErrorCode, requestId: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ error: { code, message: STRANGLER_ERRORS[code].message, requestId, ...extra } });
}
