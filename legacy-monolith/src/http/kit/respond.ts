import crypto from 'node:crypto';
import type { Response } from 'express';
import { newSessionId } from '../../domain/users';

/** JSON answers carry `generatedAt` and `requestId`, like the legacy system always has. */
export function sendJson(res: Response, status: number, body: Record<string, unknown>): void {
  const ctx = res.locals.ctx;
  res.status(status).json({ ...body, generatedAt: new Date().toISOString(), requestId: ctx ? ctx.requestId : crypto.randomUUID() });
}

const SID_COOKIE = { httpOnly: true, sameSite: 'lax' as const, path: '/' };

/** The session id of this request, creating one (and its cookie) on first need. */
export function ensureSid(res: Response): string {
  const ctx = res.locals.ctx;
  if (ctx.sid) return ctx.sid;
  ctx.sid = newSessionId();
  res.cookie('sid', ctx.sid, SID_COOKIE);
  return ctx.sid;
}

export function setSid(res: Response, sid: string): void {
  res.locals.ctx.sid = sid;
  res.cookie('sid', sid, SID_COOKIE);
}

export function clearSid(res: Response): void {
  res.locals.ctx.sid = null;
  res.clearCookie('sid', SID_COOKIE);
}
