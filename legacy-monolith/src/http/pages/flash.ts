import type { CookieOptions, Request, Response } from 'express';
import { readCookie } from '../kit/context';

/**
 * A one-time notice carried across a post/redirect/get: a failed cart form answers 303 to /cart
 * with the sentence in a short-lived cookie, and the next GET /cart shows it once and clears it.
 * So a reload never re-posts the form nor repeats the notice, and it works without JavaScript.
 * The cookie holds the shopper-facing sentence only (never a code or a field path); the page
 * escapes it like any other text, and only the browser that holds it ever sees it.
 */
const FLASH_COOKIE = 'flash';
const FLASH_PATH = '/cart';
const FLASH_OPTIONS: CookieOptions = { httpOnly: true, sameSite: 'lax', path: FLASH_PATH };
/** Long enough to follow the redirect, short enough that a notice never greets a later visit. */
const FLASH_MAX_AGE_MS = 60_000;
const FLASH_MAX_CHARS = 300;

export function setFlash(res: Response, sentence: string): void {
  res.cookie(FLASH_COOKIE, sentence.slice(0, FLASH_MAX_CHARS), { ...FLASH_OPTIONS, maxAge: FLASH_MAX_AGE_MS });
}

/** The notice waiting for this request, if any; it is cleared, and the page that shows it not stored. */
export function takeFlash(req: Request, res: Response): string | null {
  const sentence = readCookie(req.headers.cookie, FLASH_COOKIE);
  if (sentence === null) return null;
  res.clearCookie(FLASH_COOKIE, FLASH_OPTIONS);
  res.setHeader('cache-control', 'no-store');
  return sentence === '' ? null : sentence.slice(0, FLASH_MAX_CHARS);
}
