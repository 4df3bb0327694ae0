import type { Region } from './regions';

/**
 * The promotion engine. Pure: promotions, lines and the clock come in, prices come out.
 *
 * How promotions combine (the retailer's rules, written down):
 *  1. Only promotions whose window holds `now` count (starts_at <= now < ends_at).
 *  2. Per line, of the automatic promotions that are not stackable, the single one giving the
 *     largest discount applies; every stackable automatic promotion is added on top. Each is
 *     computed on the line's undiscounted price; a line never goes below zero.
 *  3. One coupon per cart. A stackable coupon applies after the automatic promotions
 *     (a percentage on what is left of each line; a fixed amount off the order).
 *  4. An exclusive coupon replaces the automatic promotions, but only when it saves the shopper
 *     more than they do; otherwise it is reported as not combinable and nothing changes.
 *  5. A coupon with a minimum needs the undiscounted merchandise subtotal to reach it.
 * Fixed amounts are defined in US cents and converted with the region's rate. Every discount is a
 * whole number of the region's `discountStep` (half up), so in APAC, where list prices are whole
 * tens of yen, a discounted price is whole tens of yen too; in the US and EU the step is one cent.
 */
export interface Promotion {
  readonly id: number;
  readonly name: string;
  readonly code: string | null;
  readonly kind: 'percent' | 'fixed' | 'bxgy';
  readonly value: number;
  readonly buyQty: number | null;
  readonly getQty: number | null;
  readonly scope: 'all' | 'category' | 'product';
  readonly scopeRef: string | null;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly stackable: boolean;
  readonly exclusive: boolean;
  readonly minSubtotalUsdCents: number;
}

export interface PricedLineInput {
  readonly sku: string;
  readonly productId: number;
  readonly categorySlug: string;
  readonly name: string;
  readonly unitPrice: number;
  readonly quantity: number;
}

export interface PricedLine {
  readonly sku: string;
  readonly productId: number;
  readonly categorySlug: string;
  readonly name: string;
  readonly quantity: number;
  readonly unitPrice: number;
  readonly subtotal: number;
  readonly discount: number;
  readonly total: number;
  readonly promotions: readonly string[];
}

export type CouponStatus = 'applied' | 'unknown' | 'expired' | 'not_started' | 'min_subtotal_not_met' | 'not_combinable';

export interface PriceResult {
  readonly lines: readonly PricedLine[];
  readonly subtotal: number;
  readonly discount: number;
  readonly total: number;
  readonly promotions: readonly string[];
  readonly coupon: { readonly code: string; readonly status: CouponStatus } | null;
}

export function isActive(promotion: Promotion, now: Date): boolean {
  const t = now.toISOString();
  return promotion.startsAt <= t && t < promotion.endsAt;
}

function appliesTo(promotion: Promotion, line: PricedLineInput): boolean {
  if (promotion.scope === 'all') return true;
  if (promotion.scope === 'category') return promotion.scopeRef === line.categorySlug;
  return promotion.scopeRef === String(line.productId);
}

function convert(region: Region, usdCents: number): number {
  return Math.round(usdCents * region.fxFromUsdCents);
}

/** A discount rounded half up to whole steps of the region (tens of yen in APAC, cents elsewhere). */
function inSteps(region: Region, amount: number): number {
  return Math.round(amount / region.discountStep) * region.discountStep;
}

/** A fixed discount, defined in US cents, in the region's currency and steps. */
function fixedDiscount(region: Region, usdCents: number): number {
  return inSteps(region, usdCents * region.fxFromUsdCents);
}

/** The discount one promotion gives one line, on its undiscounted price. */
function lineDiscount(region: Region, promotion: Promotion, line: PricedLineInput): number {
  const subtotal = line.unitPrice * line.quantity;
  switch (promotion.kind) {
    case 'percent':
      return inSteps(region, (subtotal * promotion.value) / 100);
    case 'fixed':
      return Math.min(subtotal, fixedDiscount(region, promotion.value) * line.quantity);
    case 'bxgy': {
      const group = (promotion.buyQty ?? 0) + (promotion.getQty ?? 0);
      if (group <= 0) return 0;
      const freeUnits = Math.floor(line.quantity / group) * (promotion.getQty ?? 0);
      return freeUnits * line.unitPrice;
    }
  }
}

interface Working { input: PricedLineInput; discount: number; promotions: string[] }

function applyAutomatic(region: Region, lines: readonly PricedLineInput[], automatic: readonly Promotion[]): Working[] {
  return lines.map((input) => {
    const applicable = automatic.filter((p) => appliesTo(p, input));
    let best: { promotion: Promotion; amount: number } | null = null;
    for (const promotion of applicable.filter((p) => !p.stackable)) {
      const amount = lineDiscount(region, promotion, input);
      if (amount > 0 && (best === null || amount > best.amount)) best = { promotion, amount };
    }
    const names: string[] = best ? [best.promotion.name] : [];
    let discount = best ? best.amount : 0;
    for (const promotion of applicable.filter((p) => p.stackable)) {
      const amount = lineDiscount(region, promotion, input);
      if (amount > 0) {
        discount += amount;
        names.push(promotion.name);
      }
    }
    return { input, discount: Math.min(discount, input.unitPrice * input.quantity), promotions: names };
  });
}

/**
 * Spreads an order-level amount over lines in proportion to what is left of each, in whole
 * discount steps (largest line takes the rounding).
 */
function allocate(region: Region, working: Working[], amount: number, name: string): void {
  const step = region.discountStep;
  const remaining = working.map((w) => w.input.unitPrice * w.input.quantity - w.discount);
  const base = remaining.reduce((a, b) => a + b, 0);
  const capped = Math.min(amount, base);
  if (capped <= 0) return;
  let given = 0;
  let largest = 0;
  working.forEach((w, i) => {
    const share = Math.floor((capped * remaining[i]) / base / step) * step;
    w.discount += share;
    given += share;
    if (remaining[i] > remaining[largest]) largest = i;
  });
  working[largest].discount += capped - given;
  for (const w of working) if (!w.promotions.includes(name)) w.promotions.push(name);
}

function couponDiscountOn(region: Region, coupon: Promotion, working: Working[]): void {
  if (coupon.kind === 'fixed' && coupon.scope === 'all') {
    allocate(region, working, fixedDiscount(region, coupon.value), coupon.name);
    return;
  }
  for (const w of working) {
    if (!appliesTo(coupon, w.input)) continue;
    const left = w.input.unitPrice * w.input.quantity - w.discount;
    const amount = coupon.kind === 'percent' ? inSteps(region, (left * coupon.value) / 100) : Math.min(left, lineDiscount(region, coupon, w.input));
    if (amount > 0) {
      w.discount += Math.min(amount, left);
      w.promotions.push(coupon.name);
    }
  }
}

function totalDiscount(working: Working[]): number {
  return working.reduce((sum, w) => sum + w.discount, 0);
}

export function priceLines(
  region: Region,
  lines: readonly PricedLineInput[],
  promotions: readonly Promotion[],
  couponCode: string | null,
  now: Date,
): PriceResult {
  const automatic = promotions.filter((p) => p.code === null && isActive(p, now));
  let working = applyAutomatic(region, lines, automatic);
  const subtotal = lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0);

  let coupon: PriceResult['coupon'] = null;
  if (couponCode !== null) {
    const code = couponCode.trim().toUpperCase();
    const found = promotions.find((p) => p.code !== null && p.code.toUpperCase() === code);
    let status: CouponStatus = 'applied';
    if (!found) status = 'unknown';
    else if (now.toISOString() < found.startsAt) status = 'not_started';
    else if (now.toISOString() >= found.endsAt) status = 'expired';
    else if (subtotal < convert(region, found.minSubtotalUsdCents)) status = 'min_subtotal_not_met';
    if (found && status === 'applied') {
      if (found.exclusive) {
        const alone: Working[] = lines.map((input) => ({ input, discount: 0, promotions: [] }));
        couponDiscountOn(region, found, alone);
        if (totalDiscount(alone) > totalDiscount(working)) working = alone;
        else status = 'not_combinable';
      } else {
        couponDiscountOn(region, found, working);
      }
    }
    coupon = { code, status };
  }

  const priced: PricedLine[] = working.map((w) => {
    const lineSubtotal = w.input.unitPrice * w.input.quantity;
    return {
      sku: w.input.sku, productId: w.input.productId, categorySlug: w.input.categorySlug, name: w.input.name,
      quantity: w.input.quantity, unitPrice: w.input.unitPrice, subtotal: lineSubtotal, discount: w.discount,
      total: lineSubtotal - w.discount, promotions: w.promotions,
    };
  });
  const discount = priced.reduce((sum, l) => sum + l.discount, 0);
  const names = [...new Set(priced.flatMap((l) => l.promotions))];
  return { lines: priced, subtotal, discount, total: subtotal - discount, promotions: names, coupon };
}
