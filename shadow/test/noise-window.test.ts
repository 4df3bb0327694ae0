/**
 * Window cases for the sampled noise probe: a route's reads run through the same steps as the
 * shadow worker (the probe decision, the comparison with or without legacy's second answer, the
 * row it stores) and the window judged as the report and the rollout gate judge it. The answers
 * are real JSON decoded as the worker decodes them; the traffic is drawn from a seeded generator,
 * so every run sees the same window.
 */
import { judge, type ShadowAnswer } from '../compare/compare';
import { judgeWindow, rejudgeRow, type StoredComparison } from '../compare/window-verdict';
import { decodeAnswer } from '../decode-answer';
import { NoiseProbes } from '../noise-probes';

const CONFIG = { ignore: [], arrayKeys: {}, normalisers: [] };

/** A small deterministic generator (mulberry32): the same draws on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function answer(body: unknown): ShadowAnswer {
  const bytes = Buffer.from(JSON.stringify(body));
  return decodeAnswer({ status: 200, headers: { 'content-type': 'application/json' }, body: bytes, truncated: false, ms: 1 }, 256 * 1024);
}

interface Row extends StoredComparison { readonly probed: boolean; readonly cacheDiffered: boolean; readonly probeSawCache: boolean }

interface Traffic {
  readonly reads: number;
  /** Share of answers, on either side, that are a cache MISS. */
  readonly missRate: number;
  /** Reads on which extracted gets the price wrong (legacy never flaps on it). */
  readonly wrongPrice: (i: number) => boolean;
}

/** One route's window, as the shadow worker would store it with its noise probe. */
function windowOf(traffic: Traffic, seed: number): { rows: Row[]; probes: NoiseProbes } {
  const draw = seeded(seed);
  const probes = new NoiseProbes(undefined, seeded(seed + 1), () => 0);
  const cache = (): string => (draw() < traffic.missRate ? 'MISS' : 'HIT');
  const rows: Row[] = [];
  for (let i = 0; i < traffic.reads; i++) {
    const probed = probes.take('product', 'rules-1');
    const legacy = answer({ sku: 'p-1', price: 1299, cache: cache() });
    const again = probed ? answer({ sku: 'p-1', price: 1299, cache: cache() }) : null;
    const extracted = answer({ sku: 'p-1', price: traffic.wrongPrice(i) ? 1300 : 1299, cache: cache() });
    const verdict = judge(legacy, again, extracted, CONFIG, probed ? [] : probes.known('product'));
    probes.record('product', probed ? verdict.legacyDiffers : null);
    rows.push({
      method: 'GET', outcome: verdict.outcome, paths: verdict.differing, noise: probed ? verdict.legacyDiffers : null,
      probed, cacheDiffered: verdict.differing.includes('body.cache'), probeSawCache: verdict.legacyDiffers.includes('body.cache'),
    });
  }
  return { rows, probes };
}

describe('sampled noise probe: the window stays exact with legacy asked twice on few reads', () => {
  test('(a) a cache HIT/MISS flapping on both sides is noise over the window, also where the probe did not see it or was not taken', () => {
    const { rows, probes } = windowOf({ reads: 600, missRate: 0.1, wrongPrice: () => false }, 7);
    const probed = rows.filter((r) => r.probed).length;
    // The learning phase probes every read; then about one in ten.
    expect(probed).toBeLessThan(rows.length / 3);
    expect(probes.pictures()[0]).toMatchObject({ phase: 'settled', probeRate: 0.1, known: [{ path: 'body.cache' }] });
    // The cases that matter are all there: differing where the probe agreed with itself, and where there was no probe.
    const unseen = rows.filter((r) => r.cacheDiffered && r.probed && !r.probeSawCache);
    const unprobed = rows.filter((r) => r.cacheDiffered && !r.probed);
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
    const { rows } = windowOf({ reads: 600, missRate: 0.1, wrongPrice }, 11);
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
