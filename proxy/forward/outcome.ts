import type http from 'node:http';

/** Why an upstream exchange failed before its response started. */
export type ForwardFailure = 'refused' | 'reset' | 'timeout' | 'malformed' | 'client-gone' | 'error';

export type ForwardOutcome =
  | { readonly ok: true; readonly response: http.IncomingMessage; readonly request: http.ClientRequest }
  | { readonly ok: false; readonly failure: ForwardFailure; readonly error: Error | null; readonly reusedSocket: boolean };

const REFUSED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const RESET = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);
const MALFORMED_PREFIX = 'HPE_';

/** Maps a socket or parser error to a failure kind; the one place that reads error codes. */
export function classifyError(error: Error & { code?: string }): ForwardFailure {
  const code = error.code ?? '';
  if (REFUSED.has(code)) return 'refused';
  if (RESET.has(code) || error.message === 'socket hang up') return 'reset';
  if (code.startsWith(MALFORMED_PREFIX)) return 'malformed';
  return 'error';
}
