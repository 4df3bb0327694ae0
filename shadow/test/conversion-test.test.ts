/**
 * The conversion guard's sequential test: its two promises shown by seeded simulation (as the
 * stats engines it follows document theirs), and its arithmetic on hand-made counts.
 */
import { conversionTest, type SideConversions } from '../stats/conversion-test';
import { prng as seeded } from '../../legacy-monolith/src/db/prng';


const MAX_DROP = 0.05;
const CONFIDENCE = 0.95;
const LOOKS_A_DAY = 24 * 60;
/** Simulated days per case: enough that 1 − confidence (20 of 400) is far from what the test does (about 1 in 200). */
const DAYS = 400;

/**
 * One simulated step: `perMinute` new shoppers a minute on each side, converting at the given
 * rates; judged every minute for a day, as `rollout --watch 1m` would. Whether it ever rolled back.
 */
function everRolledBack(random: () => number, legacyRate: number, extractedRate: number, perMinute: number): boolean {
  const legacy = { shoppers: 0, converted: 0 };
  const extracted = { shoppers: 0, converted: 0 };
  for (let minute = 0; minute < LOOKS_A_DAY; minute++) {
    for (let i = 0; i < perMinute; i++) {
      legacy.shoppers++;
      if (random() < legacyRate) legacy.converted++;
      extracted.shoppers++;
      if (random() < extractedRate) extracted.converted++;
    }
    if (conversionTest(legacy, extracted, MAX_DROP, CONFIDENCE).dropped) return true;
  }
  return false;
}

/** Shoppers per side until a drop is caught (judged after every pair of shoppers), or null within `limit`. */
function shoppersToCatch(random: () => number, legacyRate: number, extractedRate: number, limit: number): number | null {
  const legacy = { shoppers: 0, converted: 0 };
  const extracted = { shoppers: 0, converted: 0 };
  while (legacy.shoppers < limit) {
    legacy.shoppers++;
    if (random() < legacyRate) legacy.converted++;
    extracted.shoppers++;
    if (random() < extractedRate) extracted.converted++;
    if (conversionTest(legacy, extracted, MAX_DROP, CONFIDENCE).dropped) return legacy.shoppers;
  }
  return null;
}

describe('simulated: judged every minute for a day', () => {
  test.each([
    ['30 %, 5 shoppers a minute a side', 0.3, 5],
    ['10 %, 5 shoppers a minute a side', 0.1, 5],
    ['3 %, 10 shoppers a minute a side', 0.03, 10],
  ])('equal sides (%s): false rollbacks in at most 1 − confidence of 400 days', (_name, rate, perMinute) => {
    const random = seeded(20261207);
    let rollbacks = 0;
    for (let day = 0; day < DAYS; day++) if (everRolledBack(random, rate, rate, perMinute)) rollbacks++;
    expect(rollbacks / DAYS).toBeLessThanOrEqual(1 - CONFIDENCE);
  });

  test('a real 50 % drop (30 % → 15 %) is caught within the first few hundred shoppers per side', () => {
    const random = seeded(7);
    const caught = Array.from({ length: 200 }, () => shoppersToCatch(random, 0.3, 0.15, 2000));
    expect(caught.every((n) => n !== null)).toBe(true);
    const sorted = (caught as number[]).sort((a, b) => a - b);
    expect(sorted[100]).toBeLessThanOrEqual(200); // half of the steps by 200 shoppers a side
    expect(sorted[179]).toBeLessThanOrEqual(400); // nine in ten by 400
  });

  test('extracted at 5 % against legacy at 30 % is caught within 200 shoppers a side every time', () => {
    const random = seeded(11);
    for (let i = 0; i < 100; i++) expect(shoppersToCatch(random, 0.3, 0.05, 200)).not.toBeNull();
  });
});

describe('the judgement on given counts', () => {
  const side = (shoppers: number, converted: number): SideConversions => ({ shoppers, converted });
  test('both rates, the drop and an interval around it', () => {
    const j = conversionTest(side(1000, 300), side(1000, 150), MAX_DROP, CONFIDENCE);
    expect(j.legacyRate).toBe(0.3);
    expect(j.extractedRate).toBe(0.15);
    expect(j.drop).toBeCloseTo(0.5);
    expect(j.interval![0]).toBeLessThan(0.5);
    expect(j.interval![1]).toBeGreaterThan(0.5);
    expect(j.dropped).toBe(true);
  });
  test('equal rates: no rollback, and with enough shoppers a 5 % drop is ruled out', () => {
    const few = conversionTest(side(200, 60), side(200, 60), MAX_DROP, CONFIDENCE);
    expect(few).toMatchObject({ dropped: false, cleared: false, drop: 0 });
    expect(conversionTest(side(200_000, 60_000), side(200_000, 60_000), MAX_DROP, CONFIDENCE).cleared).toBe(true);
  });
  test('a side with nobody yet has no interval; one with no conversion yet has a wide one', () => {
    expect(conversionTest(side(0, 0), side(10, 1), MAX_DROP, CONFIDENCE)).toMatchObject({ interval: null, dropped: false, legacyRate: null, drop: null });
    const none = conversionTest(side(10, 3), side(10, 0), MAX_DROP, CONFIDENCE);
    expect(none.dropped).toBe(false);
    expect(none.interval![1] - none.interval![0]).toBeGreaterThan(1);
  });
  test('a higher confidence asks for more evidence', () => {
    const counts = [side(300, 90), side(300, 60)] as const;
    const at95 = conversionTest(...counts, MAX_DROP, 0.95).interval!;
    const at99 = conversionTest(...counts, MAX_DROP, 0.99).interval!;
    expect(at99[0]).toBeLessThan(at95[0]);
    expect(at99[1]).toBeGreaterThan(at95[1]);
  });
});
