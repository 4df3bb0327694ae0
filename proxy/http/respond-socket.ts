import http from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody, STRANGLER_ERRORS, type StranglerErrorCode } from '../errors';
import type { ErrorContext } from './respond';

/** After the answer is written, how long the client has to close before the proxy drops the connection. */
const LINGER_MS = 1000;
/** An answer the client does not read at all is dropped after this. */
const MAX_WRITE_MS = 10_000;

/** Framing is ours: the upstream's length, transfer coding and connection words never cross. */
const FRAMING: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding', 'connection']);

/**
 * An HTTP answer written on a raw socket: an upgrade request has no ServerResponse. It is always the
 * last thing on the connection (`connection: close`); whatever the client sends after it is read
 * and dropped, never parsed, and the socket is destroyed once the client closes, or soon after.
 */
export function answerOnSocket(socket: Duplex, status: number, headers: readonly string[], body: Buffer | string): void {
  if (socket.destroyed || !socket.writable) { socket.destroy(); return; }
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  let head = `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Unknown'}\r\n`;
  for (let i = 0; i < headers.length; i += 2) {
    if (!FRAMING.has(headers[i])) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  }
  head += `content-length: ${payload.length}\r\nconnection: close\r\n\r\n`;
  const drop = (): void => { socket.destroy(); };
  socket.on('end', drop);
  socket.resume();
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), payload]));
  socket.once('finish', () => setTimeout(drop, LINGER_MS).unref());
  setTimeout(drop, MAX_WRITE_MS).unref();
}

/** The proxy's own JSON error on a raw socket, with the same headers `sendError` gives an HTTP answer. */
export function sendSocketError(socket: Duplex, code: StranglerErrorCode, ctx: ErrorContext, extraHeaders: readonly string[] = [], extra: Record<string, unknown> = {}): number {
  const status = STRANGLER_ERRORS[code].status;
  const headers = ['content-type', 'application/json; charset=utf-8', 'cache-control', 'no-store', 'x-request-id', ctx.requestId, ...extraHeaders];
  if (ctx.route) headers.push('x-strangler-route', ctx.route);
  if (ctx.backend) headers.push('x-strangler-backend', ctx.backend);
  if (ctx.setCookie) headers.push('set-cookie', ctx.setCookie);
  answerOnSocket(socket, status, headers, errorBody(code, ctx.requestId, ctx.route ? { route: ctx.route, ...extra } : extra));
  return status;
}
