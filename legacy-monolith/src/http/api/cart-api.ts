import { Router } from 'express';
import type { Shop } from '../../domain/shop';
import { ensureSid, sendJson } from '../kit/respond';
import { parseCartAdd, parseCartUpdate, parseCoupon } from '../kit/schemas';
import type { Response } from 'express';

/** The cart API (legacy only): session cookie `sid`, created on the first write. */
export function cartApi(shop: Shop): Router {
  const router = Router();
  const sendCart = (res: Response, status: number): void => {
    const { region, sid, now } = res.locals.ctx;
    sendJson(res, status, { region: region.code, currency: region.currency, exponent: region.exponent, cart: shop.carts.price(region, sid, now) });
  };
  router.get('/api/cart', (_req, res) => sendCart(res, 200));
  router.post('/api/cart/items', (req, res) => {
    const body = parseCartAdd(req.body);
    const sid = ensureSid(res);
    shop.users.ensureSession(sid, res.locals.ctx.now);
    shop.carts.add(sid, body.sku, body.quantity, res.locals.ctx.now);
    sendCart(res, 201);
  });
  router.patch('/api/cart/items/:sku', (req, res) => {
    const body = parseCartUpdate(req.body);
    shop.carts.update(ensureSid(res), req.params.sku, body.quantity);
    sendCart(res, 200);
  });
  router.delete('/api/cart/items/:sku', (req, res) => {
    shop.carts.remove(ensureSid(res), req.params.sku);
    sendCart(res, 200);
  });
  router.post('/api/cart/coupon', (req, res) => {
    const body = parseCoupon(req.body);
    shop.carts.setCoupon(ensureSid(res), body.code);
    sendCart(res, 200);
  });
  router.delete('/api/cart/coupon', (_req, res) => {
    shop.carts.clearCoupon(ensureSid(res));
    sendCart(res, 200);
  });
  return router;
}
