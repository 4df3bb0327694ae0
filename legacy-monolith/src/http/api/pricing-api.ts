import { Router } from 'express';
import { priceCartLines, shelfPrice, type CartLine } from '../../domain/cart';
import { money } from '../../domain/catalog';
import { badRequest, type FieldError } from '../../domain/errors';
import { isActive } from '../../domain/pricing';
import type { Shop } from '../../domain/shop';
import { sendJson } from '../kit/respond';
import { parsePricingQuote, parseProductId } from '../kit/schemas';

/** GET /api/promotions, GET /api/pricing/products/:id, POST /api/pricing/quote — owned by extracted/pricing. */
export function pricingApi(shop: Shop): Router {
  const router = Router();
  router.get('/api/promotions', (_req, res) => {
    const now = res.locals.ctx.now;
    const promotions = shop.catalog.promotions().filter((p) => isActive(p, now)).map((p) => ({
      id: p.id, name: p.name, kind: p.kind, scope: p.scope, scopeRef: p.scopeRef, stackable: p.stackable, exclusive: p.exclusive,
      couponRequired: p.code !== null, endsAt: p.endsAt,
    }));
    sendJson(res, 200, { promotions });
  });
  router.get('/api/pricing/products/:id', (req, res) => {
    const id = parseProductId(req.params.id);
    const { region, now } = res.locals.ctx;
    const product = shop.catalog.getProduct(region, id);
    const shelf = shelfPrice(region, product, shop.catalog, now);
    sendJson(res, 200, { region: region.code, productId: id, listPrice: product.price, salePrice: money(region, shelf.sale), promotions: shelf.promotions });
  });
  router.post('/api/pricing/quote', (req, res) => {
    const body = parsePricingQuote(req.body);
    const { region, now } = res.locals.ctx;
    const lines: CartLine[] = [];
    const missing: FieldError[] = [];
    body.lines.forEach((line, i) => {
      const facts = shop.catalog.facts(line.sku);
      if (facts) lines.push({ facts, quantity: line.quantity });
      else missing.push({ path: `lines.${i}.sku`, message: 'is not a known SKU' });
    });
    if (missing.length > 0) throw badRequest(missing);
    const priced = priceCartLines(region, lines, body.coupon ?? null, shop.catalog, now);
    sendJson(res, 200, { region: region.code, currency: region.currency, exponent: region.exponent, ...priced });
  });
  return router;
}
