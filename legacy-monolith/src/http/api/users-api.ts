import { Router } from 'express';
import type { Shop } from '../../domain/shop';
import { newSessionId } from '../../domain/users';
import { clearSid, sendJson, setSid } from '../kit/respond';
import { parseLogin, parseRegister } from '../kit/schemas';

/** Accounts and sessions (legacy only). Log-in rotates `sid` and keeps the cart. */
export function usersApi(shop: Shop): Router {
  const router = Router();
  router.post('/api/users', async (req, res) => {
    const body = parseRegister(req.body);
    const ctx = res.locals.ctx;
    const user = await shop.users.register(body.email, body.name, body.password, ctx.now);
    const sid = newSessionId();
    shop.users.startSession(ctx.sid, sid, user.id, ctx.now);
    setSid(res, sid);
    sendJson(res, 201, { user });
  });
  router.post('/api/session', async (req, res) => {
    const body = parseLogin(req.body);
    const ctx = res.locals.ctx;
    const user = await shop.users.authenticate(body.email, body.password);
    const sid = newSessionId();
    shop.users.startSession(ctx.sid, sid, user.id, ctx.now);
    setSid(res, sid);
    sendJson(res, 200, { user });
  });
  router.delete('/api/session', (_req, res) => {
    shop.users.endSession(res.locals.ctx.sid);
    clearSid(res);
    sendJson(res, 200, { loggedOut: true });
  });
  router.get('/api/me', (_req, res) => {
    sendJson(res, 200, { user: shop.users.userOfSession(res.locals.ctx.sid) });
  });
  return router;
}
