/**
 * Why an upstream exchange failed before its response started. `overloaded`: admission control
 * shed it, so it was never sent.
 */
export type ForwardFailure = 'refused' | 'reset' | 'timeout' | 'malformed' | 'client-gone' | 'error' | 'overloaded';

/** An exchange that failed before its response started (a ForwardOutcome that is not ok). */
export interface ForwardFailed {
  readonly ok: false;
  readonly failure: ForwardFailure;
  readonly error: Error | null;
  /**
   * The upstream closed a connection that had already carried earlier answers, before any byte
   * of this one: the keep-alive race, where resending once is safe for a retryable request.
   */
  readonly reusedSocket: boolean;
}

const REFUSED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// UND_ERR_SOCKET is undici's "other side closed"; the others are the kernel's words for a reset.
const RESET = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET']);
const TIMEOUT = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'ETIMEDOUT']);
const MALFORMED_PREFIX = 'HPE_';

/** Maps a socket, parser or undici error to a failure kind; the one place that reads error codes. */
export function classifyError(error: Error & { code?: string }): ForwardFailure {
  const code = error.code ?? '';
  if (REFUSED.has(code)) return 'refused';
  if (RESET.has(code)) return 'reset';
  if (TIMEOUT.has(code)) return 'timeout';
  // undici's HTTPParserError leaves `code` unset for some llhttp errors: its name says enough.
  if (code.startsWith(MALFORMED_PREFIX) || error.name === 'HTTPParserError' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') return 'malformed';
  return 'error';
}

/**
 * undici's SocketError carries what the socket had read before it closed. A connection that had
 * read earlier answers was a pooled one being reused (this request's own answer never started,
 * or the error would not be a failure before the response).
 */
export function closedWhileReused(error: Error & { code?: string; socket?: { bytesRead?: number } }): boolean {
  return error.code === 'UND_ERR_SOCKET' && (error.socket?.bytesRead ?? 0) > 0;
}
