import type { NextFunction, Request, Response } from 'express';
import { ShopError } from '../../domain/errors';
import { sendJson } from './respond';

/** The last middleware: every failure becomes one JSON shape, never a stack trace. */
export function apiErrorHandler(onUnexpected: (error: unknown) => void) {
  return (error: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) { next(error); return; }
    if (error instanceof ShopError) {
      sendJson(res, error.status, { error: { code: error.code, message: error.message, fields: error.fields, ...error.details } });
      return;
    }
    const status = (error as { status?: number; type?: string }).status;
    if (status === 400 && (error as { type?: string }).type === 'entity.parse.failed') {
      sendJson(res, 400, { error: { code: 'invalid_json', message: 'The body is not valid JSON', fields: [{ path: 'body', message: 'not valid JSON' }] } });
      return;
    }
    if (status === 413) {
      sendJson(res, 413, { error: { code: 'body_too_large', message: 'The body is too large', fields: [] } });
      return;
    }
    if (status === 400 || status === 415) {
      sendJson(res, status, { error: { code: 'invalid_request', message: (error as Error).message, fields: [] } });
      return;
    }
    onUnexpected(error);
    sendJson(res, 500, { error: { code: 'internal_error', message: 'Something went wrong on our side', fields: [] } });
  };
}

export function notFoundHandler(req: Request, res: Response): void {
  sendJson(res, 404, { error: { code: 'not_found', message: `No route for ${req.method} ${req.path}`, fields: [] } });
}
