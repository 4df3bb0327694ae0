import { openShopDb, isSeeded } from './db/open';
import { seedShop } from './db/seed';
import { createShop } from './domain/shop';
import { createLegacyApp } from './http/legacy-app';
import { stockFeed } from './http/live/stock-feed';
import { listen, serviceLogger } from './serve';

/** Starts the legacy monolith on LEGACY_PORT (default 3001). */
export async function startLegacy(port = Number(process.env.LEGACY_PORT ?? 3001)): Promise<() => Promise<void>> {
  const log = serviceLogger('legacy');
  const db = openShopDb();
  if (!isSeeded(db)) {
    const summary = seedShop(db);
    log.info(summary, 'seeded an empty shop database');
  }
  const shop = createShop(db);
  const app = createLegacyApp(shop, (error) => log.error({ err: error }, 'unexpected error'));
  return listen('legacy', app, port, () => db.close(), 'LEGACY_PORT', stockFeed(shop));
}

if (require.main === module) {
  startLegacy().catch((error) => { console.error(error); process.exit(1); });
}
