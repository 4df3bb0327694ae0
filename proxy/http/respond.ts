import type http from 'node:http';
import { errorBody, STRANGLER_ERRORS, type StranglerErrorCode } from '../errors';
import type { Backend } from '../forward/transforms/response-headers';

export interface ErrorContext {
  readonly requestId: string;
  readonly route: string | null;
  readonly backend: Backend | null;
  readonly setCookie: string | null;
  readonly close?: boolean;
  /** More response headers (Retry-After, RateLimit, …). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Answers with the proxy's own JSON error; the status comes from the error catalogue. */
export function sendError(res: http.ServerResponse, code: StranglerErrorCode, ctx: ErrorContext, extra: Record<string, unknown> = {}): number {
  const status = STRANGLER_ERRORS[code].status;
  if (res.headersSent || res.destroyed) { res.destroy(); return status; }
  const body = errorBody(code, ctx.requestId, ctx.route ? { route: ctx.route, ...extra } : extra);
  const headers: http.OutgoingHttpHeaders = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-request-id': ctx.requestId,
  };
  if (ctx.route) headers['x-strangler-route'] = ctx.route;
  if (ctx.backend) headers['x-strangler-backend'] = ctx.backend;
  if (ctx.setCookie) headers['set-cookie'] = ctx.setCookie;
  if (ctx.close) headers.connection = 'close';
  if (ctx.headers) Object.assign(headers, ctx.headers);
  res.writeHead(status, headers);
  res.end(body);
  return status;
}
