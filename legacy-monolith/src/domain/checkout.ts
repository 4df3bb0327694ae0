import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ShopDb } from '../db/open';
import type { Carts, PricedCart } from './cart';
import { badRequest, notFound, ShopError } from './errors';
import { decidePayment, newAuthCode, processorLatencyMs } from './payments';
import { shippingCost, taxOn, taxRate, type Region } from './regions';

export interface ShipTo { name: string; line1: string; city: string; postalCode: string; country: string }
export interface CheckoutRequest {
  email: string;
  shipTo: ShipTo;
  card: { number: string; expMonth: number; expYear: number; cvc: string };
}

export interface Quote {
  currency: string;
  exponent: number;
  lines: PricedCart['lines'];
  promotions: PricedCart['promotions'];
  coupon: PricedCart['coupon'];
  subtotal: number;
  discount: number;
  shipping: number;
  tax: number;
  taxIncluded: boolean;
  total: number;
  weightGrams: number;
}

export interface OrderView {
  id: number;
  status: string;
  region: string;
  currency: string;
  email: string;
  lines: Array<{ sku: string; productId: number; name: string; quantity: number; unitPrice: number; discount: number; total: number }>;
  subtotal: number;
  discount: number;
  shipping: number;
  tax: number;
  taxIncluded: boolean;
  total: number;
  coupon: string | null;
  payment: { brand: string; last4: string; authCode: string };
  shipTo: ShipTo;
  createdAt: string;
}

export interface CheckoutContext {
  sid: string | null;
  userId: number | null;
  region: Region;
  now: Date;
  /** x-strangler-shadow: 1 on an extracted service: run everything, then roll back. */
  dryRun: boolean;
}

export type CheckoutOutcome = { status: 201; order: OrderView; replayed: boolean };

/** Thrown inside a dry-run transaction to roll it back while carrying the would-be answer out. */
class DryRunRollback extends Error {
  constructor(readonly outcome: CheckoutOutcome) { super('dry run'); }
}

export function quote(region: Region, cart: PricedCart): Quote {
  const shipping = shippingCost(region, cart.weightGrams, cart.total);
  const tax = cart.lines.reduce((sum, line) => sum + taxOn(region, line.total, taxRate(region, line.categorySlug)), 0);
  return {
    currency: region.currency, exponent: region.exponent, lines: cart.lines, promotions: cart.promotions, coupon: cart.coupon,
    subtotal: cart.subtotal, discount: cart.discount, shipping, tax, taxIncluded: region.taxIncluded,
    total: cart.total + shipping + (region.taxIncluded ? 0 : tax), weightGrams: cart.weightGrams,
  };
}

/** Order creation, idempotent by key, with stock decremented in the order's own transaction. */
export class Checkout {
  private readonly keyRow;
  private readonly insertKey;
  private readonly deleteKey;
  private readonly finishKey;
  private readonly takeStock;
  private readonly stockOf;
  private readonly insertOrder;
  private readonly insertLine;
  private readonly insertAuth;
  private readonly orderRow;
  private readonly orderLines;

  constructor(private readonly db: ShopDb, private readonly carts: Carts) {
    this.keyRow = db.prepare('SELECT request_hash, state, order_id FROM idempotency_keys WHERE key = ?');
    this.insertKey = db.prepare("INSERT INTO idempotency_keys (key, request_hash, state, created_at) VALUES (?, ?, 'in_progress', ?)");
    this.deleteKey = db.prepare("DELETE FROM idempotency_keys WHERE key = ? AND state = 'in_progress'");
    this.finishKey = db.prepare("UPDATE idempotency_keys SET state = 'done', order_id = ? WHERE key = ?");
    this.takeStock = db.prepare('UPDATE variants SET stock = stock - ? WHERE sku = ? AND stock >= ?');
    this.stockOf = db.prepare('SELECT stock FROM variants WHERE sku = ?');
    this.insertOrder = db.prepare(`INSERT INTO orders (sid, user_id, email, region, currency, subtotal, discount, shipping, tax, tax_included, total,
      coupon, status, card_brand, card_last4, auth_code, ship_to, created_at)
      VALUES (@sid, @user_id, @email, @region, @currency, @subtotal, @discount, @shipping, @tax, @tax_included, @total,
      @coupon, 'confirmed', @card_brand, @card_last4, @auth_code, @ship_to, @created_at)`);
    this.insertLine = db.prepare(`INSERT INTO order_lines (order_id, position, sku, product_id, name, quantity, unit_price, discount, line_total)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.insertAuth = db.prepare(`INSERT INTO payment_authorisations (order_id, auth_code, amount, currency, card_last4, status, created_at)
      VALUES (?, ?, ?, ?, ?, 'authorised', ?)`);
    this.orderRow = db.prepare('SELECT * FROM orders WHERE id = ?');
    this.orderLines = db.prepare('SELECT * FROM order_lines WHERE order_id = ? ORDER BY position');
  }

  quoteFor(ctx: CheckoutContext): Quote {
    return quote(ctx.region, this.carts.price(ctx.region, ctx.sid, ctx.now));
  }

  async placeOrder(ctx: CheckoutContext, body: CheckoutRequest, idempotencyKey: string | null): Promise<CheckoutOutcome> {
    // A keyed retry of a finished order is answered first: by then its cart has been emptied.
    if (idempotencyKey !== null) {
      const replay = this.claimKey(idempotencyKey, hashRequest(ctx, body), ctx);
      if (replay) return replay;
    }
    try {
      if (!ctx.sid || this.carts.lines(ctx.sid).length === 0) throw badRequest([{ path: 'cart', message: 'the cart is empty' }], 'The cart is empty');
      const payment = decidePayment(body.card.number);
      if (!payment.approved) {
        throw new ShopError(402, 'payment_declined', `The card was declined (${payment.reason})`, [], { reason: payment.reason });
      }
      if (ctx.dryRun) return this.createOrderDryRun(ctx, body, idempotencyKey, payment.brand, payment.last4);
      await sleep(processorLatencyMs());
      return this.createOrder(ctx, body, idempotencyKey, payment.brand, payment.last4, newAuthCode());
    } catch (error) {
      if (idempotencyKey !== null && !ctx.dryRun) this.deleteKey.run(idempotencyKey);
      throw error;
    }
  }

  getOrder(id: number, sid: string | null): OrderView {
    const row = this.orderRow.get(id) as Record<string, unknown> | undefined;
    // Orders are private to the session that placed them; others are told nothing exists.
    if (!row || sid === null || row.sid !== sid) throw notFound(`Order ${id}`, 'order');
    return this.view(row);
  }

  /** Returns a replay of a finished order, or claims the key for this request. */
  private claimKey(key: string, requestHash: string, ctx: CheckoutContext): CheckoutOutcome | null {
    const claim = this.db.transaction((): CheckoutOutcome | null => {
      const row = this.keyRow.get(key) as { request_hash: string; state: string; order_id: number | null } | undefined;
      if (row) {
        if (row.request_hash !== requestHash) {
          throw new ShopError(422, 'idempotency_key_reused', 'This Idempotency-Key was used with a different request');
        }
        if (row.state === 'done' && row.order_id !== null) {
          return { status: 201, order: this.view(this.orderRow.get(row.order_id) as Record<string, unknown>), replayed: true };
        }
        throw new ShopError(409, 'idempotency_key_in_progress', 'A request with this Idempotency-Key is still being processed');
      }
      if (!ctx.dryRun) this.insertKey.run(key, requestHash, ctx.now.toISOString());
      return null;
    });
    return claim.immediate();
  }

  private orderTransaction(ctx: CheckoutContext, body: CheckoutRequest, key: string | null, brand: string, last4: string, authCode: string): CheckoutOutcome {
    const lines = this.carts.lines(ctx.sid);
    if (lines.length === 0) throw badRequest([{ path: 'cart', message: 'the cart is empty' }], 'The cart is empty');
    const q = quote(ctx.region, this.carts.price(ctx.region, ctx.sid, ctx.now));
    for (const line of q.lines) {
      // The conditional decrement is the oversell guard: it fails when another checkout took the stock first.
      if (this.takeStock.run(line.quantity, line.sku, line.quantity).changes === 0) {
        const available = (this.stockOf.get(line.sku) as { stock: number } | undefined)?.stock ?? 0;
        throw new ShopError(409, 'out_of_stock', `Only ${available} of ${line.sku} left in stock`, [], { sku: line.sku, available });
      }
    }
    const createdAt = ctx.now.toISOString();
    const info = this.insertOrder.run({
      sid: ctx.sid, user_id: ctx.userId, email: body.email, region: ctx.region.code, currency: ctx.region.currency,
      subtotal: q.subtotal, discount: q.discount, shipping: q.shipping, tax: q.tax, tax_included: q.taxIncluded ? 1 : 0, total: q.total,
      coupon: q.coupon?.status === 'applied' ? q.coupon.code : null, card_brand: brand, card_last4: last4, auth_code: authCode,
      ship_to: JSON.stringify(body.shipTo), created_at: createdAt,
    });
    const orderId = Number(info.lastInsertRowid);
    q.lines.forEach((line, position) => {
      this.insertLine.run(orderId, position, line.sku, line.productId, line.name, line.quantity, line.unitPrice, line.discount, line.total);
    });
    this.insertAuth.run(orderId, authCode, q.total, ctx.region.currency, last4, createdAt);
    if (key !== null) this.finishKey.run(orderId, key);
    this.carts.empty(ctx.sid as string);
    return { status: 201, order: this.view(this.orderRow.get(orderId) as Record<string, unknown>), replayed: false };
  }

  private createOrder(ctx: CheckoutContext, body: CheckoutRequest, key: string | null, brand: string, last4: string, authCode: string): CheckoutOutcome {
    return this.db.transaction(() => this.orderTransaction(ctx, body, key, brand, last4, authCode)).immediate();
  }

  private createOrderDryRun(ctx: CheckoutContext, body: CheckoutRequest, key: string | null, brand: string, last4: string): CheckoutOutcome {
    try {
      this.db.transaction(() => { throw new DryRunRollback(this.orderTransaction(ctx, body, key, brand, last4, 'AUTH-DRYRUN')); }).immediate();
    } catch (error) {
      if (error instanceof DryRunRollback) return error.outcome;
      throw error;
    }
    throw new Error('unreachable: a dry run always rolls back');
  }

  private view(row: Record<string, unknown>): OrderView {
    const lines = this.orderLines.all(row.id) as Array<Record<string, unknown>>;
    return {
      id: row.id as number, status: row.status as string, region: row.region as string, currency: row.currency as string,
      email: row.email as string,
      lines: lines.map((l) => ({
        sku: l.sku as string, productId: l.product_id as number, name: l.name as string, quantity: l.quantity as number,
        unitPrice: l.unit_price as number, discount: l.discount as number, total: l.line_total as number,
      })),
      subtotal: row.subtotal as number, discount: row.discount as number, shipping: row.shipping as number, tax: row.tax as number,
      taxIncluded: row.tax_included === 1,
      total: row.total as number,
      coupon: (row.coupon as string | null) ?? null,
      payment: { brand: row.card_brand as string, last4: row.card_last4 as string, authCode: row.auth_code as string },
      shipTo: JSON.parse(row.ship_to as string) as ShipTo,
      createdAt: row.created_at as string,
    };
  }
}

/** Same key + same request = same order; the card number only enters as part of a hash. */
function hashRequest(ctx: CheckoutContext, body: CheckoutRequest): string {
  const canonical = JSON.stringify([ctx.sid, ctx.region.code, body.email, body.shipTo, body.card]);
  return crypto.createHash('sha256').update(canonical).digest('hex');
}

