import { Router } from 'express';
import type { Shop } from '../../domain/shop';
import { sendJson } from '../kit/respond';

/** CMS content (legacy only; slow on purpose, see CMS_LATENCY_MS). */
export function cmsApi(shop: Shop): Router {
  const router = Router();
  router.get('/api/cms/pages/:slug', async (req, res) => {
    sendJson(res, 200, { page: await shop.cms.getPage(req.params.slug) });
  });
  router.get('/api/cms/banners', async (_req, res) => {
    const { region, now } = res.locals.ctx;
    sendJson(res, 200, { region: region.code, banners: await shop.cms.getBanners(region.code, now) });
  });
  return router;
}
