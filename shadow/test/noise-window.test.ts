/**
 * Window cases for the sampled noise probe: a route's reads run through the same steps as the
 * shadow worker (the probe decision, the comparison with or without legacy's second answer, the
 * row it stores) and the window judged as the report and the rollout gate judge it. The answers
 * are real JSON decoded as the worker decodes them; the traffic is drawn from a seeded generator,
 * so every run sees the same window.
 */
import { judgeWindow, rejudgeRow, type StoredComparison } from '../compare/window-verdict';
import { prng as seeded } from '../../legacy-monolith/src/db/prng';
import { simulateWindow } from './window-simulation';

const PRODUCT = { sku: 'p-1', price: 1299, cache: 'HIT' };
const CACHE_MISSES = (rate: number) => ({ field: 'cache', value: 'MISS', rate });

describe('sampled noise probe: the window stays exact with legacy asked twice on few reads', () => {
  test('(a) a cache HIT/MISS flapping on both sides is noise over the window, also where the probe did not see it or was not taken', () => {
    const { rows, probes } = simulateWindow({ reads: 600, body: PRODUCT, flap: CACHE_MISSES(0.1) }, 7);
    const probed = rows.filter((r) => r.probed).length;
    // The learning phase probes every read; then about one in ten.
    expect(probed).toBeLessThan(rows.length / 3);
    expect(probes.pictures()[0]).toMatchObject({ phase: 'settled', probeRate: 0.1, known: [{ path: 'body.cache' }] });
    // The cases that matter are all there: differing where the probe agreed with itself, and where there was no probe.
    const unseen = rows.filter((r) => r.flapDiffered && r.probed && !r.probeSawFlap);
    const unprobed = rows.filter((r) => r.flapDiffered && !r.probed);
    expect(unseen.length).toBeGreaterThan(0);
    expect(unprobed.length).toBeGreaterThan(20);
    // Per request, those probed rows look like mismatches: legacy happened to agree with itself there.
    expect(unseen.every((r) => rejudgeRow(r, new Set()).outcome === 'mismatch')).toBe(true);

    const verdict = judgeWindow(rows);
    expect(verdict).toMatchObject({ compared: 600, mismatched: 0, mismatchRate: 0, noiseRequests: probed, readsCompared: 600, mismatchPaths: [] });
    expect(verdict.noiseFields.map((f) => [f.field, f.noise])).toEqual([['body.cache', true]]);
    const [cacheField] = verdict.noiseFields;
    // Each rate over its own denominator: about 2 × 0.1 × 0.9 = 18 % on both.
    expect(cacheField.legacyRate).toBeCloseTo(cacheField.legacyDiffers / probed, 12);
    expect(cacheField.extractedRate).toBeCloseTo(cacheField.extractedDiffers / 600, 12);
  });

  test('(b) a price extracted gets wrong, which legacy never flaps on, is a mismatch on every read it is wrong on, probed or not', () => {
    const wrongPrice = (i: number): boolean => i % 25 === 3;
    const { rows } = simulateWindow({ reads: 600, body: PRODUCT, flap: CACHE_MISSES(0.1), wrong: { field: 'price', value: 1300, on: wrongPrice } }, 11);
    const wrong = rows.filter((_, i) => wrongPrice(i));
    expect(wrong.some((r) => r.probed) && wrong.some((r) => !r.probed)).toBe(true);
    const verdict = judgeWindow(rows);
    expect(verdict).toMatchObject({ compared: 600, mismatched: wrong.length, mismatchPaths: [{ path: 'body.price', rows: wrong.length }] });
    expect(verdict.noiseFields.map((f) => [f.field, f.noise])).toEqual([['body.cache', true]]);
  });

  test('a field extracted flaps on far more often than legacy is real, though legacy flaps on it too', () => {
    // Legacy's cache misses 2 % of the time, extracted's half the time: extracted's cache is broken.
    const draw = seeded(3);
    const rows: StoredComparison[] = Array.from({ length: 1000 }, (_, i) => {
      const probed = i % 10 === 0;
      const legacyFlap = probed && draw() < 0.04;
      const differs = draw() < 0.5;
      return { method: 'GET', outcome: differs ? 'mismatch' : 'match', paths: differs ? ['body.cache'] : [], noise: probed ? (legacyFlap || i === 0 ? ['body.cache'] : []) : null };
    });
    const verdict = judgeWindow(rows);
    expect(verdict.noiseFields.map((f) => [f.field, f.noise])).toEqual([['body.cache', false]]);
    expect(verdict.mismatched).toBe(rows.filter((r) => r.paths.length > 0 && !(r.noise ?? []).includes('body.cache')).length);
  });
});
