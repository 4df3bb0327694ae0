import express, { type Express, type Request, type Response } from 'express';
import { faviconIco } from './favicon';
import { contextMiddleware } from './kit/context';
import { apiErrorHandler, notFoundHandler } from './kit/errors';

export interface ShopAppOptions {
  /** The service's name, sent as `x-served-by` so a person can tell who answered. */
  name: string;
  /** Extracted services honour `x-strangler-shadow: 1` (dry run); the monolith cannot. */
  honourShadowHeader: boolean;
  onUnexpectedError: (error: unknown) => void;
}

/** The common frame of the monolith and every extracted service: context, JSON body, errors. */
export function createShopApp(options: ShopAppOptions, mount: (app: Express) => void): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((_req: Request, res: Response, next) => { res.setHeader('x-served-by', options.name); next(); });
  app.get('/healthz', (_req, res) => { res.json({ ok: true, service: options.name }); });
  app.get('/favicon.ico', faviconIco);
  app.use(contextMiddleware({ honourShadowHeader: options.honourShadowHeader }));
  app.use('/api', express.json({ limit: '64kb' }));
  mount(app);
  app.use('/api', notFoundHandler);
  app.use(apiErrorHandler(options.onUnexpectedError));
  return app;
}
