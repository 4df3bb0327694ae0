import { Router } from 'express';
import type { Shop } from '../../domain/shop';
import { sendJson } from '../kit/respond';
import { idempotencyKeyOf, parseCheckout, parseIdParam } from '../kit/schemas';

/** POST /api/checkout/quote, POST /api/checkout, GET /api/orders/:id — owned by extracted/checkout. */
export function checkoutApi(shop: Shop): Router {
  const router = Router();
  router.post('/api/checkout/quote', (_req, res) => {
    const ctx = res.locals.ctx;
    const user = shop.users.userOfSession(ctx.sid);
    const quote = shop.checkout.quoteFor({ ...ctx, userId: user ? user.id : null });
    sendJson(res, 200, { region: ctx.region.code, quote });
  });
  router.post('/api/checkout', async (req, res) => {
    const ctx = res.locals.ctx;
    const key = idempotencyKeyOf(req.get('idempotency-key'));
    const body = parseCheckout(req.body, ctx.now);
    const user = shop.users.userOfSession(ctx.sid);
    const outcome = await shop.checkout.placeOrder({ ...ctx, userId: user ? user.id : null }, body, key);
    if (outcome.replayed) res.setHeader('idempotent-replayed', 'true');
    res.setHeader('location', `/api/orders/${outcome.order.id}`);
    sendJson(res, outcome.status, { order: outcome.order });
  });
  router.get('/api/orders/:id', (req, res) => {
    const { id } = parseIdParam(req.params);
    sendJson(res, 200, { order: shop.checkout.getOrder(id, res.locals.ctx.sid) });
  });
  return router;
}
