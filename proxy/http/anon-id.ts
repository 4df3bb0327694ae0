import crypto from 'node:crypto';
import { ANON_COOKIE } from '../decide/identity';

const ONE_YEAR_SECONDS = 365 * 24 * 3600;

/** A new anonymous shopper id: random, unguessable, cookie-safe. */
export function newAnonymousId(): string {
  return crypto.randomUUID();
}

/** The cookie that makes a shopper's side sticky from their first request on. */
export function anonCookie(id: string): string {
  return `${ANON_COOKIE}=${id}; Path=/; Max-Age=${ONE_YEAR_SECONDS}; HttpOnly; SameSite=Lax`;
}
