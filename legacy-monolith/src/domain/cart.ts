import type { ShopDb } from '../db/open';
import type { Catalog, LineFacts, Product } from './catalog';
import { badRequest, notFound, outOfStock, ShopError } from './errors';
import { priceLines, type PriceResult, type PricedLineInput } from './pricing';
import { localPrice, type Region } from './regions';

export interface CartLine { facts: LineFacts; quantity: number }
export interface PricedCart extends PriceResult { weightGrams: number; itemCount: number }

export const MAX_LINE_QUANTITY = 99;

/** The cart of a session (cookie `sid`): lines of variant SKUs and at most one coupon code. */
export class Carts {
  private readonly linesOf;
  private readonly upsert;
  private readonly setQuantity;
  private readonly removeLine;
  private readonly couponOf;
  private readonly setCouponStmt;
  private readonly clearCouponStmt;
  private readonly clearLines;

  constructor(db: ShopDb, private readonly catalog: Catalog) {
    this.linesOf = db.prepare('SELECT sku, quantity FROM cart_items WHERE sid = ? ORDER BY added_at, sku');
    this.upsert = db.prepare(`INSERT INTO cart_items (sid, sku, quantity, added_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (sid, sku) DO UPDATE SET quantity = excluded.quantity`);
    this.setQuantity = db.prepare('UPDATE cart_items SET quantity = ? WHERE sid = ? AND sku = ?');
    this.removeLine = db.prepare('DELETE FROM cart_items WHERE sid = ? AND sku = ?');
    this.couponOf = db.prepare('SELECT code FROM cart_coupons WHERE sid = ?');
    this.setCouponStmt = db.prepare('INSERT INTO cart_coupons (sid, code) VALUES (?, ?) ON CONFLICT (sid) DO UPDATE SET code = excluded.code');
    this.clearCouponStmt = db.prepare('DELETE FROM cart_coupons WHERE sid = ?');
    this.clearLines = db.prepare('DELETE FROM cart_items WHERE sid = ?');
  }

  lines(sid: string | null): CartLine[] {
    if (!sid) return [];
    const rows = this.linesOf.all(sid) as Array<{ sku: string; quantity: number }>;
    const lines: CartLine[] = [];
    for (const row of rows) {
      const facts = this.catalog.facts(row.sku);
      if (facts) lines.push({ facts, quantity: row.quantity });
    }
    return lines;
  }

  coupon(sid: string | null): string | null {
    if (!sid) return null;
    const row = this.couponOf.get(sid) as { code: string } | undefined;
    return row ? row.code : null;
  }

  /** Adds `quantity` of a SKU (on top of what the cart holds). 404 unknown SKU, 409 not enough stock. */
  add(sid: string, sku: string, quantity: number, now: Date): void {
    const facts = this.catalog.facts(sku);
    if (!facts) throw notFound(`SKU ${sku}`, 'item');
    const current = this.lines(sid).find((l) => l.facts.sku === sku)?.quantity ?? 0;
    const wanted = current + quantity;
    if (wanted > MAX_LINE_QUANTITY) throw badRequest([{ path: 'quantity', message: `at most ${MAX_LINE_QUANTITY} per line` }]);
    if (wanted > facts.stock) throw outOfStock(sku, facts.stock);
    this.upsert.run(sid, sku, wanted, now.toISOString());
  }

  /** Sets a line's quantity; 0 removes it. */
  update(sid: string, sku: string, quantity: number): void {
    const line = this.lines(sid).find((l) => l.facts.sku === sku);
    if (!line) throw notFound(`Cart line ${sku}`, 'item in your cart');
    if (quantity === 0) { this.removeLine.run(sid, sku); return; }
    if (quantity > line.facts.stock) throw outOfStock(sku, line.facts.stock);
    this.setQuantity.run(quantity, sid, sku);
  }

  remove(sid: string, sku: string): void {
    if (this.removeLine.run(sid, sku).changes === 0) throw notFound(`Cart line ${sku}`, 'item in your cart');
  }

  /**
   * Applies a coupon code. An unknown code is refused (422 `unknown_coupon`) and changes nothing,
   * so a typo never silently replaces a coupon that was working.
   */
  setCoupon(sid: string, code: string): void {
    const normalised = code.trim().toUpperCase();
    if (!this.catalog.promotions().some((p) => p.code === normalised)) {
      const current = this.coupon(sid);
      throw new ShopError(422, 'unknown_coupon', current ? `Coupon ${normalised} is unknown; ${current} still applies` : `Coupon ${normalised} is unknown`,
        [{ path: 'code', message: 'is not a coupon we know' }], { coupon: normalised, current });
    }
    this.setCouponStmt.run(sid, normalised);
  }
  clearCoupon(sid: string): void { this.clearCouponStmt.run(sid); }
  empty(sid: string): void { this.clearLines.run(sid); this.clearCouponStmt.run(sid); }

  /** The cart priced in a region with the promotions active at `now`. */
  price(region: Region, sid: string | null, now: Date): PricedCart {
    return priceCartLines(region, this.lines(sid), this.coupon(sid), this.catalog, now);
  }
}

export function priceCartLines(region: Region, lines: readonly CartLine[], coupon: string | null, catalog: Catalog, now: Date): PricedCart {
  const inputs: PricedLineInput[] = lines.map((l) => ({
    sku: l.facts.sku, productId: l.facts.productId, categorySlug: l.facts.categorySlug, name: l.facts.name,
    unitPrice: localPrice(region, l.facts.basePriceCents), quantity: l.quantity,
  }));
  const priced = priceLines(region, inputs, catalog.promotions(), coupon, now);
  return {
    ...priced,
    weightGrams: lines.reduce((sum, l) => sum + l.facts.weightGrams * l.quantity, 0),
    itemCount: lines.reduce((sum, l) => sum + l.quantity, 0),
  };
}

/**
 * What one unit of a product costs on the shelf right now: its list price after the automatic
 * promotions (no coupon), priced as a one-line cart so shelf, cart and API never disagree.
 */
export function shelfPrice(region: Region, product: Product, catalog: Catalog, now: Date): { list: number; sale: number; promotions: readonly string[] } {
  const variant = product.variants[0];
  const facts = variant ? catalog.facts(variant.sku) : undefined;
  if (!facts) return { list: product.price.amount, sale: product.price.amount, promotions: [] };
  const priced = priceCartLines(region, [{ facts, quantity: 1 }], null, catalog, now);
  return { list: product.price.amount, sale: priced.total, promotions: priced.promotions };
}
