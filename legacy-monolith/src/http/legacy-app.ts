import type { Express, NextFunction, Request, Response } from 'express';
import type { Shop } from '../domain/shop';
import { cartApi } from './api/cart-api';
import { catalogApi } from './api/catalog-api';
import { checkoutApi } from './api/checkout-api';
import { cmsApi } from './api/cms-api';
import { pricingApi } from './api/pricing-api';
import { usersApi } from './api/users-api';
import { createShopApp } from './app-kit';
import { layout, notFoundBody, sendPage } from './pages/html';
import { productImages } from './pages/product-image';
import { storefront } from './pages/storefront';

/** The legacy monolith: every API and every storefront page in one Express app. */
export function createLegacyApp(shop: Shop, onUnexpectedError: (error: unknown) => void): Express {
  return createShopApp({ name: 'legacy', honourShadowHeader: false, onUnexpectedError }, (app) => {
    app.use(catalogApi(shop));
    app.use(pricingApi(shop));
    app.use(cartApi(shop));
    app.use(checkoutApi(shop));
    app.use(usersApi(shop));
    app.use(cmsApi(shop));
    app.use(productImages(shop));
    app.use(storefront(shop));
    app.use((req: Request, res: Response, next: NextFunction) => {
      if (req.path.startsWith('/api/')) { next(); return; } // the JSON 404 of createShopApp answers those
      sendPage(res, 404, layout('Not found', { region: res.locals.ctx.region, cartCount: 0, userName: null }, notFoundBody('We could not find that page.')));
    });
  });
}
