import crypto from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { Shop } from '../../domain/shop';
import { parseProductId } from '../kit/schemas';

/** Swatch colours of the shop's variant colours (the seed's palette), for the picture's background. */
const SWATCHES: Readonly<Record<string, string>> = {
  black: '#2b2b2b', white: '#f1f1ee', navy: '#233a63', olive: '#6b7a3a', sand: '#d8c39a', red: '#b3382c',
};

const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/** A product picture drawn from its name and colour: no image host to depend on, same bytes every time. */
export function productSvg(name: string, colour: string, position: number): string {
  const fill = SWATCHES[colour] ?? '#8a8a8a';
  const dark = ['black', 'navy', 'olive', 'red'].includes(colour);
  const ink = dark ? '#ffffff' : '#222222';
  const words = name.split(' ');
  const lines = [words.slice(0, Math.ceil(words.length / 2)).join(' '), words.slice(Math.ceil(words.length / 2)).join(' ')].filter(Boolean);
  const text = lines.map((line, i) => `<text x="160" y="${112 + i * 30}" text-anchor="middle" font-family="sans-serif" font-size="24" fill="${ink}">${escapeXml(line)}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240" viewBox="0 0 320 240" role="img" aria-label="${escapeXml(name)}">`
    + `<rect width="320" height="240" fill="${fill}"/><circle cx="${position === 0 ? 270 : 50}" cy="50" r="28" fill="${ink}" opacity="0.15"/>${text}</svg>`;
}

/** `GET /images/products/:id/:position.svg`: the pictures the catalog's `images` point at. */
export function productImages(shop: Shop): Router {
  const router = Router();
  router.get('/images/products/:id/:position.svg', (req: Request, res: Response) => {
    const id = parseProductId(String(req.params.id));
    const position = Number(req.params.position);
    const product = shop.catalog.getProduct(res.locals.ctx.region, id);
    const body = productSvg(product.name, product.variants[0]?.colour ?? '', position);
    const etag = `"${crypto.createHash('sha1').update(body).digest('base64url')}"`;
    res.setHeader('cache-control', 'public, max-age=86400');
    res.setHeader('etag', etag);
    if (req.headers['if-none-match'] === etag) { res.status(304).end(); return; }
    res.type('image/svg+xml').send(body);
  });
  return router;
}
