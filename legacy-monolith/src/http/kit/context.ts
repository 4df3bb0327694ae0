import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { badRequest } from '../../domain/errors';
import { isRegionCode, REGIONS, type Region } from '../../domain/regions';

/** What every handler needs to know about the request, made once at the edge. */
export interface RequestContext {
  requestId: string;
  region: Region;
  now: Date;
  sid: string | null;
  /** x-strangler-shadow: 1 — honoured only by extracted services (legacy cannot roll back). */
  dryRun: boolean;
}

declare module 'express-serve-static-core' {
  interface Locals { ctx: RequestContext }
}

/** Reads one cookie without parsing the whole header into an object. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      try { return decodeURIComponent(value); } catch { return value; }
    }
  }
  return null;
}

/** Region: header `x-region`, then cookie `region`, then `us`. A bad header is an error; a stale cookie is ignored. */
function regionOf(req: Request): Region {
  const header = req.get('x-region');
  if (header !== undefined) {
    const code = header.trim().toLowerCase();
    if (!isRegionCode(code)) throw badRequest([{ path: 'headers.x-region', message: 'must be one of us, eu, apac' }]);
    return REGIONS[code];
  }
  const cookie = readCookie(req.headers.cookie, 'region');
  return cookie !== null && isRegionCode(cookie) ? REGIONS[cookie] : REGIONS.us;
}

export function contextMiddleware(options: { honourShadowHeader: boolean }) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incomingId = req.get('x-request-id');
    const requestId = incomingId && /^[\w.:-]{1,128}$/.test(incomingId) ? incomingId : crypto.randomUUID();
    res.setHeader('x-request-id', requestId);
    res.locals.ctx = {
      requestId,
      region: REGIONS.us,
      now: new Date(),
      sid: readCookie(req.headers.cookie, 'sid'),
      dryRun: options.honourShadowHeader && req.get('x-strangler-shadow') === '1',
    };
    res.locals.ctx.region = regionOf(req);
    next();
  };
}
