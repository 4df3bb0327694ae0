import path from 'node:path';
import { openShopDb } from '../../legacy-monolith/src/db/open';
import { seedShop } from '../../legacy-monolith/src/db/seed';
import { portOf, startProcess, tempDir, type RunningProcess } from './processes';

export type ShopProcessName = 'legacy' | 'catalog' | 'pricing' | 'checkout';

const ENTRIES: Record<ShopProcessName, { entry: string; portEnv: string }> = {
  legacy: { entry: 'legacy-monolith/src/main.js', portEnv: 'LEGACY_PORT' },
  catalog: { entry: 'extracted/catalog/src/main.js', portEnv: 'CATALOG_PORT' },
  pricing: { entry: 'extracted/pricing/src/main.js', portEnv: 'PRICING_PORT' },
  checkout: { entry: 'extracted/checkout/src/main.js', portEnv: 'CHECKOUT_PORT' },
};

export interface ShopProcesses {
  dbFile: string;
  ports: Record<ShopProcessName, number>;
  processes: RunningProcess[];
  stop(): Promise<void>;
}

/** Seeds a temp database and starts the named shop processes on ephemeral ports, sharing it. */
export async function startShopProcesses(names: ShopProcessName[], env: Record<string, string> = {}): Promise<ShopProcesses> {
  const dbFile = path.join(tempDir('shopdb'), 'shop.sqlite');
  const db = openShopDb(dbFile);
  seedShop(db);
  db.close();
  const ports = {} as Record<ShopProcessName, number>;
  const processes = await Promise.all(names.map(async (name) => {
    const spec = ENTRIES[name];
    const running = await startProcess(spec.entry, { SHOP_DB: dbFile, [spec.portEnv]: '0', CMS_LATENCY_MS: '1', PAYMENT_LATENCY_MS: '5', ...env }, `${name} listening`);
    ports[name] = portOf(running.ready.url);
    return running;
  }));
  return { dbFile, ports, processes, stop: async () => { await Promise.all(processes.map((p) => p.stop())); } };
}
