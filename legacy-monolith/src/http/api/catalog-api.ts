import { Router } from 'express';
import { badRequest } from '../../domain/errors';
import type { Shop } from '../../domain/shop';
import { sendJson } from '../kit/respond';
import { parseProductId, parseProductQuery } from '../kit/schemas';

/** GET /api/categories, /api/products, /api/products/:id — owned by extracted/catalog once ramped. */
export function catalogApi(shop: Shop): Router {
  const router = Router();
  router.get('/api/categories', (_req, res) => {
    sendJson(res, 200, { categories: shop.catalog.listCategories() });
  });
  router.get('/api/products', (req, res) => {
    const query = parseProductQuery(req.query);
    if (query.category && !shop.catalog.categoryExists(query.category)) {
      throw badRequest([{ path: 'query.category', message: 'is not a known category' }]);
    }
    if (query.minPrice !== undefined && query.maxPrice !== undefined && query.minPrice > query.maxPrice) {
      throw badRequest([{ path: 'query.minPrice', message: 'must not exceed maxPrice' }]);
    }
    const region = res.locals.ctx.region;
    const { items, total } = shop.catalog.listProducts(region, query);
    sendJson(res, 200, {
      region: region.code, items, page: query.page, pageSize: query.pageSize, total, totalPages: Math.ceil(total / query.pageSize),
    });
  });
  router.get('/api/products/:id', (req, res) => {
    const id = parseProductId(req.params.id);
    const region = res.locals.ctx.region;
    sendJson(res, 200, { region: region.code, product: shop.catalog.getProduct(region, id) });
  });
  return router;
}
