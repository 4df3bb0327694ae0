/**
 * The decisions a simulated shopper of `strangler traffic` makes in one visit (a session): how
 * many products they look at, whether they add one to the cart, whether they check out, and how
 * `--degrade` makes the shoppers of one side of a route buy less. Pure: every draw comes from the
 * seeded generator passed in, so a seed gives the same funnel every time.
 *
 * The defaults are a real shop's funnel, kept at the upper end so a demo shows a result in
 * minutes: 10 % of sessions add to cart, 40 % of carts are checked out, one card in ten is
 * declined, so 3.6 % of sessions end in an order (published e-commerce figures: 8-10 %, 30-50 %,
 * 2-4 %). A shopper makes 1 to 3 visits, so about 7 % of shoppers buy.
 */

/** How a side of a route is named on the command line and in the proxy's `x-strangler-backend`. */
export type Side = 'legacy' | 'extracted';

export const SIDES: readonly Side[] = ['legacy', 'extracted'];

export interface FunnelRates {
  /** Share of visits that add a product to the cart. */
  readonly cart: number;
  /** Share of carts that go on to check out (before `--degrade`). */
  readonly checkout: number;
}

export const DEFAULT_RATES: FunnelRates = { cart: 0.1, checkout: 0.4 };

/** Share of checkouts paid with the shop's declined test card (a 402, not an order). */
export const DECLINED_CARD_RATE = 0.1;

/** `--degrade ROUTE:SIDE:FACTOR`: shoppers served SIDE of ROUTE check out FACTOR times as often. */
export interface Degrade { readonly route: string; readonly side: Side; readonly factor: number }

/** Product detail pages one visit looks at: 1 to 4. */
export function productViews(rand: () => number): number {
  return 1 + Math.floor(rand() * 4);
}

/** Visits one shopper (one identity) makes: 1 to 3. */
export function visitsPerShopper(rand: () => number): number {
  return 1 + Math.floor(rand() * 3);
}

export function addsToCart(rand: () => number, rates: FunnelRates): boolean {
  return rand() < rates.cart;
}

/** Whether a shopper with a cart checks out; `factor` is the product of the `--degrade`s that apply to them. */
export function checksOut(rand: () => number, rates: FunnelRates, factor: number): boolean {
  return rand() < rates.checkout * factor;
}

export function paysWithDeclinedCard(rand: () => number): boolean {
  return rand() < DECLINED_CARD_RATE;
}

/**
 * The side a shopper was on, from the proxy's `x-strangler-backend`: `legacy-fallback` (extracted
 * failed, legacy answered) is the extracted side, where the proxy counts the shopper too. Anything
 * else (no header: a request the proxy did not route) is no side.
 */
export function sideOfBackend(backend: string | null): Side | null {
  if (backend === 'legacy') return 'legacy';
  if (backend === 'extracted' || backend === 'legacy-fallback') return 'extracted';
  return null;
}

/**
 * How much less often a shopper checks out: the product of the factors of every `--degrade` whose
 * route the shopper last saw on its side. `sideSeen` gives the side of the shopper's latest request
 * to a route, or null when they never made one.
 */
export function conversionFactor(degrades: readonly Degrade[], sideSeen: (route: string) => Side | null): number {
  let factor = 1;
  for (const d of degrades) if (sideSeen(d.route) === d.side) factor *= d.factor;
  return factor;
}

/** Parses one `--degrade` value; throws an Error saying what was wrong. */
export function parseDegrade(text: string): Degrade {
  const parts = text.split(':');
  if (parts.length !== 3 || parts.some((p) => p.trim() === '')) {
    throw new Error(`--degrade takes ROUTE:SIDE:FACTOR, e.g. product-detail:extracted:0.5, got "${text}"`);
  }
  const [route, side, factorText] = parts.map((p) => p.trim());
  if (!(SIDES as readonly string[]).includes(side)) throw new Error(`--degrade ${text}: the side must be legacy or extracted, got "${side}"`);
  const factor = Number(factorText);
  if (!(Number.isFinite(factor) && factor >= 0 && factor <= 1)) {
    throw new Error(`--degrade ${text}: the factor must be a number from 0 to 1 (how often those shoppers buy, relative to the others), got "${factorText}"`);
  }
  return { route, side: side as Side, factor };
}

/** Every `--degrade` given; the same route and side twice is an error. */
export function parseDegrades(texts: readonly string[]): Degrade[] {
  const degrades = texts.map(parseDegrade);
  for (let i = 0; i < degrades.length; i++) {
    const twice = degrades.findIndex((d) => d.route === degrades[i].route && d.side === degrades[i].side);
    if (twice !== i) throw new Error(`--degrade ${degrades[i].route}:${degrades[i].side} is given twice ("${texts[twice]}" and "${texts[i]}")`);
  }
  return degrades;
}

/** Parses `--cart-rate` / `--checkout-rate`: a share from 0 to 1; throws an Error naming the option. */
export function parseRate(option: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const rate = Number(text);
  if (text.trim() === '' || !(Number.isFinite(rate) && rate >= 0 && rate <= 1)) throw new Error(`--${option} must be a share from 0 to 1, got "${text}"`);
  return rate;
}
