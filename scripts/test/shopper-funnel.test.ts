/**
 * The funnel `strangler traffic`'s shoppers follow (shopper-funnel.ts), by seeded simulation, and
 * the parsing of its options; the conversion per side the summary shows (shopper-conversion.ts).
 */
import { prng } from '../../legacy-monolith/src/db/prng';
import { ConversionTally, formatConversion } from '../cli/shopper-conversion';
import {
  addsToCart, checksOut, conversionFactor, DEFAULT_RATES, paysWithDeclinedCard, parseDegrade, parseDegrades, parseRate, productViews, sideOfBackend, visitsPerShopper,
  type Degrade, type FunnelRates, type Side,
} from '../cli/shopper-funnel';

/** `sessions` visits through the funnel; how many added to cart, checked out and ordered (card not declined). */
function simulate(seed: number, sessions: number, rates: FunnelRates, factor = 1): { carts: number; checkouts: number; orders: number; views: number } {
  const rand = prng(seed);
  const tally = { carts: 0, checkouts: 0, orders: 0, views: 0 };
  for (let i = 0; i < sessions; i++) {
    tally.views += productViews(rand);
    if (!addsToCart(rand, rates)) continue;
    tally.carts++;
    if (!checksOut(rand, rates, factor)) continue;
    tally.checkouts++;
    if (!paysWithDeclinedCard(rand)) tally.orders++;
  }
  return tally;
}

describe('the funnel', () => {
  test('the defaults: 10 % of sessions add to cart, 40 % of carts check out, 9 in 10 cards pay: 3.6 % of sessions order', () => {
    expect(DEFAULT_RATES).toEqual({ cart: 0.1, checkout: 0.4 });
    const n = 200_000;
    const t = simulate(26, n, DEFAULT_RATES);
    expect(t.carts / n).toBeCloseTo(0.1, 2);
    expect(t.checkouts / t.carts).toBeCloseTo(0.4, 1);
    expect(t.orders / n).toBeGreaterThan(0.033);
    expect(t.orders / n).toBeLessThan(0.039);
    // 1 to 4 product pages a session, 2.5 on average.
    expect(t.views / n).toBeCloseTo(2.5, 1);
  });

  test('a seed gives the same shoppers every time; another seed others', () => {
    expect(simulate(7, 5000, DEFAULT_RATES)).toEqual(simulate(7, 5000, DEFAULT_RATES));
    expect(simulate(7, 5000, DEFAULT_RATES)).not.toEqual(simulate(8, 5000, DEFAULT_RATES));
  });

  test('a factor scales the orders: 0.5 halves them, 0 leaves none', () => {
    const n = 200_000;
    const full = simulate(3, n, DEFAULT_RATES).orders;
    const half = simulate(3, n, DEFAULT_RATES, 0.5).orders;
    expect(half / full).toBeGreaterThan(0.45);
    expect(half / full).toBeLessThan(0.55);
    expect(simulate(3, n, DEFAULT_RATES, 0).orders).toBe(0);
  });

  test('rates of 1 send every session to checkout', () => {
    const t = simulate(5, 1000, { cart: 1, checkout: 1 });
    expect(t.carts).toBe(1000);
    expect(t.checkouts).toBe(1000);
  });

  test('1 to 4 product views a visit, 1 to 3 visits a shopper', () => {
    const rand = prng(11);
    const views = new Set(Array.from({ length: 1000 }, () => productViews(rand)));
    const visits = new Set(Array.from({ length: 1000 }, () => visitsPerShopper(rand)));
    expect([...views].sort()).toEqual([1, 2, 3, 4]);
    expect([...visits].sort()).toEqual([1, 2, 3]);
  });
});

describe('--degrade', () => {
  const sides = (seen: Record<string, Side>) => (route: string): Side | null => seen[route] ?? null;
  const degrades: Degrade[] = [{ route: 'product-detail', side: 'extracted', factor: 0.5 }, { route: 'pricing', side: 'extracted', factor: 0.2 }];

  test('applies to the shoppers whose latest request to the route was served by the side; factors multiply', () => {
    expect(conversionFactor(degrades, sides({ 'product-detail': 'extracted' }))).toBe(0.5);
    expect(conversionFactor(degrades, sides({ 'product-detail': 'legacy' }))).toBe(1);
    expect(conversionFactor(degrades, sides({}))).toBe(1);
    expect(conversionFactor(degrades, sides({ 'product-detail': 'extracted', pricing: 'extracted' }))).toBeCloseTo(0.1);
    expect(conversionFactor([], sides({ 'product-detail': 'extracted' }))).toBe(1);
  });

  test('the side comes from x-strangler-backend; a legacy fallback is the extracted side, as the proxy counts it', () => {
    expect(sideOfBackend('legacy')).toBe('legacy');
    expect(sideOfBackend('extracted')).toBe('extracted');
    expect(sideOfBackend('legacy-fallback')).toBe('extracted');
    expect(sideOfBackend(null)).toBeNull();
  });

  test('parses ROUTE:SIDE:FACTOR', () => {
    expect(parseDegrade('product-detail:extracted:0.5')).toEqual({ route: 'product-detail', side: 'extracted', factor: 0.5 });
    expect(parseDegrade('checkout:legacy:0')).toEqual({ route: 'checkout', side: 'legacy', factor: 0 });
    expect(parseDegrade('pricing:extracted:1')).toEqual({ route: 'pricing', side: 'extracted', factor: 1 });
  });

  test.each([
    ['product-detail', '--degrade takes ROUTE:SIDE:FACTOR, e.g. product-detail:extracted:0.5, got "product-detail"'],
    ['product-detail:extracted', '--degrade takes ROUTE:SIDE:FACTOR, e.g. product-detail:extracted:0.5, got "product-detail:extracted"'],
    ['a:extracted:0.5:1', '--degrade takes ROUTE:SIDE:FACTOR, e.g. product-detail:extracted:0.5, got "a:extracted:0.5:1"'],
    [':extracted:0.5', '--degrade takes ROUTE:SIDE:FACTOR, e.g. product-detail:extracted:0.5, got ":extracted:0.5"'],
    ['product-detail:extractd:0.5', '--degrade product-detail:extractd:0.5: the side must be legacy or extracted, got "extractd"'],
    ['product-detail:legacy-fallback:0.5', '--degrade product-detail:legacy-fallback:0.5: the side must be legacy or extracted, got "legacy-fallback"'],
    ['product-detail:extracted:1.5', '--degrade product-detail:extracted:1.5: the factor must be a number from 0 to 1 (how often those shoppers buy, relative to the others), got "1.5"'],
    ['product-detail:extracted:-0.1', '--degrade product-detail:extracted:-0.1: the factor must be a number from 0 to 1 (how often those shoppers buy, relative to the others), got "-0.1"'],
    ['product-detail:extracted:half', '--degrade product-detail:extracted:half: the factor must be a number from 0 to 1 (how often those shoppers buy, relative to the others), got "half"'],
  ])('refuses %s, saying what was wrong', (text, message) => {
    expect(() => parseDegrade(text)).toThrow(message);
  });

  test('the same route and side twice is refused; two sides or two routes are fine', () => {
    expect(() => parseDegrades(['a:extracted:0.5', 'a:extracted:0.2'])).toThrow('--degrade a:extracted is given twice ("a:extracted:0.5" and "a:extracted:0.2")');
    expect(parseDegrades(['a:extracted:0.5', 'a:legacy:0.9', 'b:extracted:0'])).toHaveLength(3);
  });
});

describe('--cart-rate and --checkout-rate', () => {
  test('a share from 0 to 1; absent gives the default', () => {
    expect(parseRate('cart-rate', undefined, 0.1)).toBe(0.1);
    expect(parseRate('cart-rate', '0.25', 0.1)).toBe(0.25);
    expect(parseRate('checkout-rate', '1', 0.4)).toBe(1);
    expect(parseRate('checkout-rate', '0', 0.4)).toBe(0);
    for (const bad of ['', '1.2', '-1', 'ten', '10%']) expect(() => parseRate('checkout-rate', bad, 0.4)).toThrow(`--checkout-rate must be a share from 0 to 1, got "${bad}"`);
  });
});

describe('conversion per side, as the shoppers saw it', () => {
  test('a shopper counts on every side they were served; a purchase goes to the side of their latest request to the route', () => {
    const tally = new ConversionTally(['product-detail']);
    tally.exposed('product-detail', 'legacy', 'a');
    tally.exposed('product-detail', 'legacy', 'a');
    tally.exposed('product-detail', 'legacy', 'b');
    tally.exposed('product-detail', 'legacy', 'c');
    tally.exposed('product-detail', 'extracted', 'c'); // ramped while shopping
    tally.exposed('other', 'extracted', 'c'); // not watched
    tally.converted('a', () => 'legacy');
    tally.converted('c', (route) => (route === 'product-detail' ? 'extracted' : null));
    tally.converted('d', () => null); // never saw the route
    const [row] = tally.summary([{ route: 'product-detail', side: 'extracted', factor: 0.5 }]);
    expect(row).toEqual({
      route: 'product-detail',
      legacy: { shoppers: 3, bought: 1, rate: 1 / 3 },
      extracted: { shoppers: 1, bought: 1, rate: 1 },
      degraded: [{ side: 'extracted', factor: 0.5 }],
    });
    expect(formatConversion([row])).toEqual([
      'route           side       shoppers  bought  rate',
      'product-detail  legacy     3         1       33.3%',
      'product-detail  extracted  1         1       100.0%  --degrade ×0.5',
    ]);
  });

  test('a side nobody was served has no rate', () => {
    const [row] = new ConversionTally(['r']).summary([]);
    expect(row.legacy).toEqual({ shoppers: 0, bought: 0, rate: null });
    expect(formatConversion([row])[1]).toBe('r      legacy     0         0       -');
  });
});
