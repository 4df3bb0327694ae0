import fc from 'fast-check';
import { normalizedStrategyValue } from 'unleash-client/lib/strategy/util';
import { bucketOf, inRollout } from '../decide/bucket';

describe('bucket = Unleash flexibleRollout normalisation', () => {
  test.each([
    ['Feature.flexibleRollout.10', '174', 10],
    ['Feature.flexibleRollout.10', '499', 32],
    ['catalog', 'user-1', 96],
    ['catalog', 'user-2', 21],
    ['checkout', 'user-1', 34],
  ])('DESIGN vector (%s, %s) -> %i', (group, identity, expected) => {
    expect(bucketOf(group, identity)).toBe(expected);
  });

  test("unleash-client's own normalizedStrategyValue agrees on 10,000+ identities, non-ASCII included", () => {
    const identities: string[] = [];
    for (let i = 0; i < 10_000; i++) identities.push(`shopper-${i}`);
    identities.push('Zoë', 'José', 'Müller', '山田太郎', '🛒cart', 'ÅÄÖ', 'naïve café', '\u0000nul', '');
    for (const group of ['catalog', 'checkout', 'cart-checkout', 'Feature.flexibleRollout.10']) {
      for (const identity of identities) {
        const ours = bucketOf(group, identity);
        if (ours !== normalizedStrategyValue(identity, group)) throw new Error(`mismatch for ${group}:${identity}`);
      }
    }
  });

  test('property: arbitrary unicode identities and groups agree with the oracle and land in 1..100', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.string({ minLength: 1, unit: 'grapheme' }), (identity, group) => {
      const bucket = bucketOf(group, identity);
      return bucket === normalizedStrategyValue(identity, group) && bucket >= 1 && bucket <= 100;
    }), { numRuns: 2000 });
  });
});

describe('what the bucket math guarantees shoppers', () => {
  const identities = Array.from({ length: 5000 }, (_, i) => `u${i}`);
  test('raising the percent never moves a shopper back to legacy', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (a, b) => {
      const [low, high] = a <= b ? [a, b] : [b, a];
      return identities.every((id) => !inRollout(bucketOf('catalog', id), low) || inRollout(bucketOf('catalog', id), high));
    }), { numRuns: 200 });
  });
  test('lowering the percent moves back exactly the shoppers above the new line', () => {
    const at50 = identities.filter((id) => inRollout(bucketOf('catalog', id), 50));
    const at25 = identities.filter((id) => inRollout(bucketOf('catalog', id), 25));
    const movedBack = at50.filter((id) => !at25.includes(id));
    expect(movedBack.every((id) => bucketOf('catalog', id) > 25 && bucketOf('catalog', id) <= 50)).toBe(true);
    expect(at25.every((id) => at50.includes(id))).toBe(true);
    expect(movedBack.length + at25.length).toBe(at50.length);
  });
  test('0% sends nobody and 100% everybody; the split is close to the percent', () => {
    expect(identities.some((id) => inRollout(bucketOf('g', id), 0))).toBe(false);
    expect(identities.every((id) => inRollout(bucketOf('g', id), 100))).toBe(true);
    const share = identities.filter((id) => inRollout(bucketOf('g', id), 25)).length / identities.length;
    expect(share).toBeGreaterThan(0.22);
    expect(share).toBeLessThan(0.28);
  });
  test('routes in one group move the same shoppers; different groups pick different shoppers', () => {
    const chosen = (group: string): string[] => identities.filter((id) => inRollout(bucketOf(group, id), 30));
    expect(chosen('catalog')).toEqual(chosen('catalog'));
    const overlap = chosen('catalog').filter((id) => chosen('checkout').includes(id)).length / chosen('catalog').length;
    expect(overlap).toBeLessThan(0.5);
  });
});
