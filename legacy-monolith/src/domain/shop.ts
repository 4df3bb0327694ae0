import type { ShopDb } from '../db/open';
import { Carts } from './cart';
import { Catalog } from './catalog';
import { Checkout } from './checkout';
import { Cms } from './cms';
import { Users } from './users';

/** The shop's domain services over one database connection. */
export interface Shop { db: ShopDb; catalog: Catalog; carts: Carts; checkout: Checkout; users: Users; cms: Cms }

export function createShop(db: ShopDb): Shop {
  const catalog = new Catalog(db);
  const carts = new Carts(db, catalog);
  return { db, catalog, carts, checkout: new Checkout(db, carts), users: new Users(db), cms: new Cms(db) };
}
