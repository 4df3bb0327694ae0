import type { Request, Response } from 'express';

/**
 * The shop's icon: a navy square with a white N, inline in every page's `<link rel="icon">`, so a
 * page costs no extra request. Shapes only (no text), so it looks the same without fonts.
 */
const ICON_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1f3a5f"/>'
  + '<path d="M9 24V8h3.2l7.6 10.4V8H23v16h-3.2l-7.6-10.4V24z" fill="#fff"/></svg>';

export const FAVICON_DATA_URI = `data:image/svg+xml,${encodeURIComponent(ICON_SVG)}`;

/**
 * `GET /favicon.ico`, which browsers ask for on their own (a JSON answer in a tab, an old
 * browser): 204, "no icon here", cached for a week so it is asked once, instead of a 404 in
 * every log. A week, not a year: a real icon shipped later reaches browsers soon enough.
 */
export function faviconIco(_req: Request, res: Response): void {
  res.setHeader('cache-control', 'public, max-age=604800');
  res.status(204).end();
}
