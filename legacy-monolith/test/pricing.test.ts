import { priceLines, type PricedLineInput, type Promotion } from '../src/domain/pricing';
import { formatMoney, localPrice, REGIONS, shippingCost, taxOn } from '../src/domain/regions';

const NOW = new Date('2025-05-01T12:00:00Z');
const ALWAYS = { startsAt: '2020-01-01T00:00:00.000Z', endsAt: '2099-01-01T00:00:00.000Z' };
const promo = (p: Partial<Promotion> & Pick<Promotion, 'id' | 'name' | 'kind' | 'value'>): Promotion => ({
  code: null, buyQty: null, getQty: null, scope: 'all', scopeRef: null, stackable: false, exclusive: false, minSubtotalUsdCents: 0, ...ALWAYS, ...p,
});
const line = (sku: string, categorySlug: string, unitPrice: number, quantity: number): PricedLineInput => ({ sku, productId: 1, categorySlug, name: sku, unitPrice, quantity });

describe('regions: conversion, rounding, tax, shipping', () => {
  test('each region rounds its shelf price its own way', () => {
    expect(localPrice(REGIONS.us, 1234)).toBe(1299); // charm .99
    expect(localPrice(REGIONS.us, 1299)).toBe(1299);
    expect(localPrice(REGIONS.eu, 1234)).toBe(1135); // 1135.28 -> nearest 5 cents
    expect(localPrice(REGIONS.apac, 1234)).toBe(1850); // 1851 yen -> nearest 10
  });
  test('US tax is added on top; EU VAT is the share inside the price', () => {
    expect(taxOn(REGIONS.us, 10000, 0.0725)).toBe(725);
    expect(taxOn(REGIONS.eu, 12000, 0.2)).toBe(2000);
  });
  test('shipping by weight bracket, per extra kg, free over the threshold', () => {
    expect(shippingCost(REGIONS.us, 800, 1000)).toBe(599);
    expect(shippingCost(REGIONS.us, 4000, 1000)).toBe(999);
    expect(shippingCost(REGIONS.us, 7200, 1000)).toBe(999 + 3 * 150);
    expect(shippingCost(REGIONS.us, 7200, 7500)).toBe(0);
  });
  test('money is formatted with the currency exponent', () => {
    expect(formatMoney(REGIONS.us, 1299)).toBe('12.99 USD');
    expect(formatMoney(REGIONS.apac, 1850)).toBe('1,850 JPY');
  });
});

describe('promotions combine by the written rules', () => {
  const apparel20 = promo({ id: 1, name: 'apparel 20', kind: 'percent', value: 20, scope: 'category', scopeRef: 'apparel' });
  const apparel10 = promo({ id: 2, name: 'apparel 10', kind: 'percent', value: 10, scope: 'category', scopeRef: 'apparel' });
  const extra5 = promo({ id: 3, name: 'extra 5', kind: 'percent', value: 5, scope: 'category', scopeRef: 'apparel', stackable: true });
  const books = promo({ id: 4, name: 'books 2+1', kind: 'bxgy', value: 0, buyQty: 2, getQty: 1, scope: 'category', scopeRef: 'books' });
  const fixed = promo({ id: 5, name: 'shoes 10 off', kind: 'fixed', value: 1000, scope: 'category', scopeRef: 'footwear' });
  const welcome = promo({ id: 6, name: 'welcome', code: 'WELCOME10', kind: 'percent', value: 10, stackable: true });
  const save15 = promo({ id: 7, name: 'save 15', code: 'SAVE15', kind: 'fixed', value: 1500, exclusive: true, minSubtotalUsdCents: 5000 });
  const expired = promo({ id: 8, name: 'old', kind: 'percent', value: 50, startsAt: '2020-01-01T00:00:00.000Z', endsAt: '2021-01-01T00:00:00.000Z' });
  const future = promo({ id: 9, name: 'future', code: 'LATER', kind: 'percent', value: 50, startsAt: '2099-02-01T00:00:00.000Z', endsAt: '2099-03-01T00:00:00.000Z' });
  const all = [apparel20, apparel10, extra5, books, fixed, welcome, save15, expired, future];

  test('the best non-stackable promotion wins, stackable ones add on top', () => {
    const result = priceLines(REGIONS.us, [line('A', 'apparel', 1000, 2)], all, null, NOW);
    expect(result.lines[0].discount).toBe(400 + 100); // 20% of 2000 + 5% of 2000
    expect(result.lines[0].promotions).toEqual(['apparel 20', 'extra 5']);
    expect(result.promotions).not.toContain('old');
  });
  test('buy 2 get 1 gives one free unit per three', () => {
    const result = priceLines(REGIONS.us, [line('B', 'books', 900, 7)], all, null, NOW);
    expect(result.lines[0].discount).toBe(2 * 900);
  });
  test('a fixed discount is per unit, converted to the region, never below zero', () => {
    expect(priceLines(REGIONS.us, [line('S', 'footwear', 5000, 2)], all, null, NOW).lines[0].discount).toBe(2000);
    expect(priceLines(REGIONS.eu, [line('S', 'footwear', 5000, 1)], all, null, NOW).lines[0].discount).toBe(920);
    expect(priceLines(REGIONS.us, [line('S', 'footwear', 500, 1)], all, null, NOW).lines[0].total).toBe(0);
  });
  test('a stackable coupon applies after automatic promotions', () => {
    const result = priceLines(REGIONS.us, [line('A', 'apparel', 1000, 1)], all, 'welcome10', NOW);
    expect(result.coupon).toEqual({ code: 'WELCOME10', status: 'applied' });
    expect(result.lines[0].discount).toBe(250 + 75); // 25% automatic, then 10% of the 750 left
  });
  test('an exclusive coupon replaces automatic promotions only when it saves more', () => {
    const cheap = priceLines(REGIONS.us, [line('X', 'home', 6000, 1)], all, 'SAVE15', NOW);
    expect(cheap.coupon?.status).toBe('applied');
    expect(cheap.discount).toBe(1500);
    const apparel = priceLines(REGIONS.us, [line('A', 'apparel', 10000, 1)], all, 'SAVE15', NOW);
    expect(apparel.coupon?.status).toBe('not_combinable');
    expect(apparel.discount).toBe(2500);
  });
  test('coupon states: minimum not met, unknown, expired window, not started', () => {
    expect(priceLines(REGIONS.us, [line('X', 'home', 1000, 1)], all, 'SAVE15', NOW).coupon?.status).toBe('min_subtotal_not_met');
    expect(priceLines(REGIONS.us, [line('X', 'home', 1000, 1)], all, 'NOPE', NOW).coupon?.status).toBe('unknown');
    expect(priceLines(REGIONS.us, [line('X', 'home', 1000, 1)], all, 'LATER', NOW).coupon?.status).toBe('not_started');
    expect(priceLines(REGIONS.us, [line('X', 'home', 1000, 1)], all, 'LATER', new Date('2099-04-01T00:00:00Z')).coupon?.status).toBe('expired');
  });
  test('time windows: a promotion counts only inside [starts, ends)', () => {
    const inWindow = priceLines(REGIONS.us, [line('X', 'home', 1000, 1)], all, null, new Date('2020-06-01T00:00:00Z'));
    expect(inWindow.promotions).toContain('old');
    const atEnd = priceLines(REGIONS.us, [line('X', 'home', 1000, 1)], all, null, new Date('2021-01-01T00:00:00Z'));
    expect(atEnd.promotions).not.toContain('old');
  });
  test('APAC discounted prices stay on the 10-yen shelf grid, like its list prices', () => {
    const electronics5 = promo({ id: 10, name: 'electronics 5', kind: 'percent', value: 5, scope: 'category', scopeRef: 'electronics', stackable: true });
    const shelf = localPrice(REGIONS.apac, 11300); // 16950 yen
    expect(shelf).toBe(16950);
    const automatic = priceLines(REGIONS.apac, [line('E', 'electronics', shelf, 1)], [electronics5], null, NOW);
    expect(automatic.lines[0].discount).toBe(850); // 5% is 847.5 yen: a discount of 85 tens of yen
    expect(automatic.total).toBe(16100);
    const lines = [line('E', 'electronics', shelf, 1), line('A', 'apparel', 1870, 3), line('X', 'home', 2340, 1), line('S', 'footwear', 9990, 1)];
    for (const coupon of [null, 'WELCOME10', 'SAVE15']) {
      const result = priceLines(REGIONS.apac, lines, [...all, electronics5], coupon, NOW);
      for (const priced of result.lines) expect({ coupon, sku: priced.sku, total: priced.total % 10, discount: priced.discount % 10 }).toEqual({ coupon, sku: priced.sku, total: 0, discount: 0 });
      expect(result.total % 10).toBe(0);
    }
    const save15 = priceLines(REGIONS.apac, [line('X', 'home', 3330, 1), line('Y', 'home', 3340, 1), line('Z', 'home', 1010, 1)], all, 'SAVE15', NOW);
    expect(save15.discount).toBe(2250); // 15 USD at 1.5 yen a cent, still exact when spread over lines
  });
  test('US and EU discounts keep their cent precision', () => {
    expect(priceLines(REGIONS.eu, [line('A', 'apparel', 1135, 1)], [apparel20], null, NOW).lines[0].discount).toBe(227); // 20% of 11.35
    expect(priceLines(REGIONS.us, [line('A', 'apparel', 1299, 1)], [apparel20, welcome], 'WELCOME10', NOW).lines[0].discount).toBe(260 + 104); // 259.8, then 10% of 1039
  });
  test('an order-level amount is spread over lines and adds up exactly', () => {
    const result = priceLines(REGIONS.us, [line('X', 'home', 3333, 1), line('Y', 'home', 3334, 1), line('Z', 'home', 1, 1)], all, 'SAVE15', NOW);
    expect(result.discount).toBe(1500);
    expect(result.lines.reduce((s, l) => s + l.discount, 0)).toBe(1500);
    expect(result.total).toBe(6668 - 1500);
  });
});
