import { DIFFY_THRESHOLDS, judgeFieldNoise } from '../compare/window-noise';
import { judgeWindow, rejudgeRow, type StoredComparison } from '../compare/window-verdict';

describe('judgeFieldNoise: Diffy\'s rule over a window', () => {
  const one = (requests: number, extractedDiffers: number, legacyDiffers: number) => judgeFieldNoise(requests, [{ field: 'body.f', extractedDiffers, legacyDiffers }])[0];

  test('a field legacy disagrees with itself on about as often as with extracted is noise, with the rates behind the call', () => {
    expect(one(100, 31, 30)).toEqual({
      field: 'body.f', extractedDiffers: 31, legacyDiffers: 30, extractedRate: 0.31, legacyRate: 0.3, relativePercent: 100 / 61, absolutePercent: 1, noise: true,
    });
  });
  test('a field extracted gets wrong now and then while legacy always agrees with itself is real, however rare', () => {
    expect(one(100, 5, 0).noise).toBe(false);
    expect(one(1_000_000, 1, 0).noise).toBe(false);
  });
  test('a field extracted gets wrong far more often than legacy disagrees with itself is real', () => {
    expect(one(100, 40, 2)).toMatchObject({ noise: false, relativePercent: 3800 / 42, absolutePercent: 38 });
  });
  test('extracted differing less often than legacy from itself is noise', () => {
    expect(one(100, 10, 30).noise).toBe(true);
  });
  test('the thresholds: over 20 % relative and over 0.03 points absolute are real; at them, noise', () => {
    expect(one(100, 24, 16).relativePercent).toBe(20);
    expect(one(100, 24, 16).noise).toBe(true);
    expect(one(100, 25, 16).noise).toBe(false);
    expect(one(100_000, 32, 2).absolutePercent).toBe(0.03);
    expect(one(100_000, 32, 2).noise).toBe(true);
    expect(one(100_000, 33, 2).noise).toBe(false);
    expect(judgeFieldNoise(100, [{ field: 'x', extractedDiffers: 25, legacyDiffers: 16 }], { relativePercent: 30, absolutePercent: 0 })[0].noise).toBe(true);
  });
  test('with legacy probed on a sample, each rate is over its own denominator', () => {
    // 1000 compared, 100 probed: legacy flapped on 18 of its probes, extracted differed on 180 reads.
    expect(judgeFieldNoise({ compared: 1000, probed: 100 }, [{ field: 'body.cache', extractedDiffers: 180, legacyDiffers: 18 }])[0])
      .toEqual({ field: 'body.cache', extractedDiffers: 180, legacyDiffers: 18, extractedRate: 0.18, legacyRate: 0.18, relativePercent: 0, absolutePercent: 0, noise: true });
    // The same counts over one denominator would call it real: 18 of 1000 against 180 of 1000.
    expect(judgeFieldNoise(1000, [{ field: 'body.cache', extractedDiffers: 180, legacyDiffers: 18 }])[0].noise).toBe(false);
    // Exactly at the relative threshold on rates: 0.24 against 0.16 (8 of 40 = 20 %) stays noise; one more is real.
    expect(judgeFieldNoise({ compared: 100, probed: 50 }, [{ field: 'x', extractedDiffers: 24, legacyDiffers: 8 }])[0]).toMatchObject({ relativePercent: 20, noise: true });
    expect(judgeFieldNoise({ compared: 100, probed: 50 }, [{ field: 'x', extractedDiffers: 25, legacyDiffers: 8 }])[0].noise).toBe(false);
    // Nothing probed: no evidence of noise.
    expect(judgeFieldNoise({ compared: 10, probed: 0 }, [{ field: 'x', extractedDiffers: 3, legacyDiffers: 0 }])[0]).toMatchObject({ legacyRate: 0, relativePercent: 100, absolutePercent: 30, noise: false });
    expect(() => judgeFieldNoise({ compared: 10, probed: 11 }, [])).toThrow(/requests probed must be a whole number from 0 to those compared \(10\), not 11/);
    expect(() => judgeFieldNoise({ compared: 10, probed: 2 }, [{ field: 'x', extractedDiffers: 0, legacyDiffers: 3 }])).toThrow(/x: counts must be whole numbers from 0 to requests probed \(2\), not 3/);
  });
  test('bad input is a clear error', () => {
    expect(() => judgeFieldNoise(-1, [])).toThrow(/requests must be a whole number ≥ 0, not -1/);
    expect(() => judgeFieldNoise(10, [{ field: 'body.f', extractedDiffers: 11, legacyDiffers: 0 }])).toThrow(/body.f: counts must be whole numbers from 0 to requests \(10\), not 11/);
    expect(() => judgeFieldNoise(10, [], { ...DIFFY_THRESHOLDS, relativePercent: Number.NaN })).toThrow(/relativePercent must be 0..100/);
  });
});

/** A read's stored row: every path legacy and extracted differed at, and where legacy differed from itself. */
const read = (paths: string[], noise: string[] = [], outcome: StoredComparison['outcome'] = 'mismatch'): StoredComparison => ({ method: 'GET', outcome, paths, noise });

describe('judgeWindow: a route\'s rows judged again with the window\'s noise', () => {
  // 100 reads. body.cache: legacy disagrees with itself on 30 of them, differs from extracted on 30
  // others (a cache status: HIT or MISS whoever answers). body.eta: extracted gets it wrong on 5
  // reads, legacy never disagrees with itself on it. body.items[].renderId: noisy on every read.
  const rows = Array.from({ length: 100 }, (_, i) => {
    const paths = [`body.items[${i % 3}].renderId`];
    const noise = [`body.items[${i % 3}].renderId`];
    if (i % 10 < 3) noise.push('body.cache');
    if (i % 10 >= 3 && i % 10 < 6) paths.push('body.cache');
    if (i % 20 === 7) paths.push('body.eta');
    return read(paths, noise);
  });

  test('a field noisy only now and then is noise on every request, also where legacy happened to agree with itself', () => {
    const verdict = judgeWindow(rows);
    // Per request, the 30 body.cache rows looked like mismatches: legacy agreed with itself there.
    expect(rows.filter((r) => rejudgeRow(r, new Set()).outcome === 'mismatch')).toHaveLength(35);
    expect(verdict).toMatchObject({ compared: 100, matched: 95, mismatched: 5, truncated: 0, mismatchRate: 0.05, noiseRequests: 100 });
    expect(verdict.mismatchPaths).toEqual([{ path: 'body.eta', rows: 5 }]);
    expect(verdict.noiseFields.map((f) => [f.field, f.legacyDiffers, f.extractedDiffers, f.noise])).toEqual([
      ['body.items[].renderId', 100, 100, true], ['body.cache', 30, 30, true],
    ]);
  });
  test('writes, which legacy is never asked twice, are judged with the noise the window\'s reads show', () => {
    const write: StoredComparison = { method: 'POST', outcome: 'match', paths: ['body.cache', 'body.total'], noise: [] };
    expect(judgeWindow([...rows, write])).toMatchObject({ compared: 101, mismatched: 6, mismatchPaths: [{ path: 'body.eta', rows: 5 }, { path: 'body.total', rows: 1 }] });
    // Without reads there is no evidence of noise: the write's every difference counts.
    expect(judgeWindow([write]).mismatchPaths).toEqual([{ path: 'body.cache', rows: 1 }, { path: 'body.total', rows: 1 }]);
  });
  test('a read not probed (noise null) is judged with the window\'s noise and counts only in extracted\'s rate', () => {
    const unprobed = (paths: string[]): StoredComparison => ({ method: 'GET', outcome: 'mismatch', paths, noise: null });
    const window = [read(['body.cache'], ['body.cache'], 'match'), read([], [], 'match'), unprobed(['body.cache']), unprobed(['body.cache', 'body.eta'])];
    expect(judgeWindow(window)).toMatchObject({ compared: 4, mismatched: 1, noiseRequests: 2, readsCompared: 4, mismatchPaths: [{ path: 'body.eta', rows: 1 }] });
    expect(judgeWindow(window).noiseFields).toEqual([expect.objectContaining({ field: 'body.cache', legacyDiffers: 1, legacyRate: 0.5, extractedDiffers: 3, extractedRate: 0.75, noise: true })]);
    // A write stored as before the probe was sampled ([]) or as now (null) is never evidence of noise.
    const writes: StoredComparison[] = [{ method: 'POST', outcome: 'match', paths: ['body.total'], noise: [] }, { method: 'POST', outcome: 'match', paths: ['body.total'], noise: null }];
    expect(judgeWindow(writes)).toMatchObject({ compared: 2, mismatched: 2, noiseRequests: 0, readsCompared: 0 });
  });
  test('a row past the capture cap is truncated, not compared, unless something else differs; it adds nothing to the noise rates', () => {
    const cut = read(['body(truncated)'], [], 'truncated');
    const cutAndMoved = read(['headers.location', 'body(truncated)'], []);
    expect(judgeWindow([read([], [], 'match'), cut, cutAndMoved])).toMatchObject({ compared: 2, matched: 1, mismatched: 1, truncated: 1, noiseRequests: 1, mismatchRate: 0.5 });
    expect(judgeWindow([cut, cut])).toMatchObject({ compared: 0, truncated: 2, mismatchRate: null });
  });
  test('a row\'s own noise explains only the paths it was seen at; a field the window calls noise explains it at every index', () => {
    expect(rejudgeRow(read(['body.items[1].eta', 'body.items[2].eta'], ['body.items[1].eta']), new Set())).toEqual({ outcome: 'mismatch', mismatches: ['body.items[2].eta'] });
    expect(rejudgeRow(read(['body.items[1].eta', 'body.items[2].eta'], []), new Set(['body.items[].eta']))).toEqual({ outcome: 'match', mismatches: [] });
    expect(rejudgeRow(read(['html.body.main(#cart).p[1].span(.amount): text'], []), new Set(['html.body.main.p[].span: text'])).outcome).toBe('match');
  });
  test('rows are read twice: an iterable that starts afresh works, and an empty window has no rate', () => {
    const iterable = { *[Symbol.iterator]() { yield* rows; } };
    expect(judgeWindow(iterable)).toMatchObject({ compared: 100, mismatched: 5 });
    expect(judgeWindow([])).toMatchObject({ compared: 0, mismatchRate: null, noiseFields: [] });
  });
});
