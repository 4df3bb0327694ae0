import type { Express, Router } from 'express';
import { openShopDb } from '../legacy-monolith/src/db/open';
import { createShop, type Shop } from '../legacy-monolith/src/domain/shop';
import { createShopApp } from '../legacy-monolith/src/http/app-kit';
import type { UpgradeHandler } from '../legacy-monolith/src/http/live/stock-feed';
import { listen, serviceLogger } from '../legacy-monolith/src/serve';

/**
 * An extracted service: its own Express app and process over the shared database, serving the
 * same public contract as the monolith routes it replaces, and honouring `x-strangler-shadow: 1`
 * as a dry run (the request runs in a transaction that is rolled back).
 */
export interface ServiceDefinition {
  name: 'catalog' | 'pricing' | 'checkout';
  portEnv: string;
  defaultPort: number;
  routes: (shop: Shop) => Router;
  /** The WebSocket endpoints it serves, when it has any. */
  upgrades?: (shop: Shop) => UpgradeHandler;
}

export function createServiceApp(definition: ServiceDefinition, shop: Shop, onUnexpectedError: (error: unknown) => void): Express {
  return createShopApp({ name: definition.name, honourShadowHeader: true, onUnexpectedError }, (app) => {
    app.use(definition.routes(shop));
  });
}

export function startService(definition: ServiceDefinition, port = Number(process.env[definition.portEnv] ?? definition.defaultPort)): Promise<() => Promise<void>> {
  const log = serviceLogger(definition.name);
  const db = openShopDb();
  const shop = createShop(db);
  const app = createServiceApp(definition, shop, (error) => log.error({ err: error }, 'unexpected error'));
  return listen(definition.name, app, port, () => db.close(), definition.portEnv, definition.upgrades?.(shop));
}
