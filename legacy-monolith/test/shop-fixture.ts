import path from 'node:path';
import type { Express } from 'express';
import { openShopDb, type ShopDb } from '../src/db/open';
import { seedShop } from '../src/db/seed';
import { createShop, type Shop } from '../src/domain/shop';
import { createLegacyApp } from '../src/http/legacy-app';
import { tempDir } from '../../scripts/testing/processes';

export const CHECKOUT_BODY = {
  email: 'ada@example.com',
  shipTo: { name: 'Ada', line1: '1 Loop Rd', city: 'Springfield', postalCode: '12345', country: 'US' },
  card: { number: '4242 4242 4242 4242', expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' },
};

/** A freshly seeded shop database in a temp dir, and the legacy app over it. */
export function seededShop(): { file: string; db: ShopDb; shop: Shop; app: Express; close(): void } {
  process.env.CMS_LATENCY_MS = '1';
  process.env.PAYMENT_LATENCY_MS = '1';
  const file = path.join(tempDir('shop'), 'shop.sqlite');
  const db = openShopDb(file);
  seedShop(db);
  const shop = createShop(db);
  const app = createLegacyApp(shop, (error) => { throw error; });
  return { file, db, shop, app, close: () => db.close() };
}

/** A SKU with at least `min` units in stock in the given category. */
export function skuInStock(db: ShopDb, category: string, min = 3): string {
  const row = db.prepare(`SELECT v.sku FROM variants v JOIN products p ON p.id = v.product_id JOIN categories c ON c.id = p.category_id
    WHERE c.slug = ? AND v.stock >= ? ORDER BY v.sku LIMIT 1`).get(category, min) as { sku: string };
  return row.sku;
}

export function cookieOf(setCookie: string[] | string | undefined, name: string): string {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const found = list.find((c) => c.startsWith(`${name}=`));
  if (!found) throw new Error(`no ${name} cookie in ${JSON.stringify(list)}`);
  return found.split(';')[0];
}
