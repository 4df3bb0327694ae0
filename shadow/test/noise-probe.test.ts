import { afterRead, probeRate, shouldProbe, startProbing, underRules, type ProbePolicy, type ProbeState } from '../noise-probe';
import { mergeNoisePictures, NoiseProbes, type NoisePicture } from '../noise-probes';

const POLICY: ProbePolicy = { settleAfter: 3, recheckEvery: 10, maxFields: 4 };
const probe = (state: ProbeState, noisy: string[], at = 1): ProbeState => afterRead(state, noisy, at, POLICY);

describe('the noise probe decision', () => {
  test('a new route probes every read until settleAfter probes in a row show nothing new, then one in recheckEvery', () => {
    let s = startProbing(0, 'h1');
    expect([shouldProbe(s, 0.99, POLICY), probeRate(s, POLICY)]).toEqual([true, 1]);
    s = probe(s, ['body.cache'], 10);
    s = probe(s, []);
    s = probe(s, ['body.cache']);
    expect(s).toMatchObject({ phase: 'learning', quiet: 2, probes: 3, reads: 3 });
    s = probe(s, [], 40);
    expect(s).toMatchObject({ phase: 'settled', settledAt: 40, quiet: 3, known: [{ field: 'body.cache', seen: 2, firstAt: 10 }] });
    expect(probeRate(s, POLICY)).toBe(0.1);
    expect([shouldProbe(s, 0.0999, POLICY), shouldProbe(s, 0.1, POLICY), shouldProbe(s, 0.5, POLICY)]).toEqual([true, false, false]);
    // A read not probed counts as a read, nothing more.
    expect(afterRead(s, null, 50, POLICY)).toEqual({ ...s, reads: 5 });
    // A quiet probe keeps it settled, and its settledAt.
    expect(probe(s, ['body.cache'], 60)).toMatchObject({ phase: 'settled', settledAt: 40, quiet: 4 });
  });

  test('a field never seen noisy before sends the route back to probing every read', () => {
    let s = startProbing(0, 'h1');
    for (let i = 0; i < 3; i++) s = probe(s, []);
    expect(s.phase).toBe('settled');
    s = probe(s, ['body.eta'], 70);
    expect(s).toMatchObject({ phase: 'learning', settledAt: null, quiet: 0, known: [{ field: 'body.eta', seen: 1, firstAt: 70 }] });
    expect(probeRate(s, POLICY)).toBe(1);
  });

  test('new rules start the picture afresh; the same or unknown rules keep it', () => {
    let s = startProbing(0, 'h1');
    for (let i = 0; i < 3; i++) s = probe(s, ['body.cache']);
    expect(underRules(s, 'h1', 5)).toBe(s);
    expect(underRules(s, null, 5)).toBe(s);
    expect(underRules(s, 'h2', 5)).toEqual(startProbing(5, 'h2'));
  });

  test('the fields remembered are bounded; one past the bound is not news', () => {
    let s = startProbing(0, null);
    s = probe(s, ['a', 'b', 'c', 'd']);
    s = probe(s, ['e']);
    expect(s.known.map((k) => k.field)).toEqual(['a', 'b', 'c', 'd']);
    expect(s.quiet).toBe(1);
  });
});

describe('NoiseProbes: each route\'s state, with the clock and the draw injected', () => {
  test('learns generic fields per route and shows how it learned them', () => {
    let now = Date.UTC(2026, 0, 1);
    const draws = [0.5, 0.5, 0.5, 0.5, 0.95, 0.05];
    const probes = new NoiseProbes(POLICY, () => draws.shift()!, () => now);
    for (let i = 0; i < 4; i++) {
      expect(probes.take('product', 'h1')).toBe(true);
      probes.record('product', i === 0 ? ['body.items[2].renderId'] : []);
      now += 1000;
    }
    expect(probes.take('product', 'h1')).toBe(false);
    probes.record('product', null);
    expect(probes.take('product', 'h1')).toBe(true);
    expect(probes.known('product')).toEqual(['body.items[].renderId']);
    expect(probes.known('other')).toEqual([]);
    expect(probes.pictures()).toEqual([{
      route: 'product', phase: 'settled', probeRate: 0.1, since: '2026-01-01T00:00:00.000Z', settledAt: '2026-01-01T00:00:03.000Z',
      reads: 5, probes: 4, known: [{ path: 'body.items[].renderId', seen: 1, firstAt: '2026-01-01T00:00:00.000Z' }],
    }]);
  });
});

describe('mergeNoisePictures: one route over a cluster\'s processes', () => {
  const picture = (over: Partial<NoisePicture>): NoisePicture => ({
    route: 'product', phase: 'settled', probeRate: 0.1, since: '2026-01-01T00:00:00.000Z', settledAt: '2026-01-01T00:01:00.000Z', reads: 100, probes: 30, known: [], ...over,
  });
  test('adds reads and probes, joins the known fields, and is learning while any process is', () => {
    const a = picture({ known: [{ path: 'body.cache', seen: 3, firstAt: '2026-01-01T00:00:05.000Z' }] });
    const b = picture({ since: '2025-12-31T23:59:00.000Z', settledAt: '2026-01-01T00:02:00.000Z', known: [{ path: 'body.cache', seen: 2, firstAt: '2026-01-01T00:00:01.000Z' }, { path: 'body.eta', seen: 1, firstAt: '2026-01-01T00:00:09.000Z' }] });
    expect(mergeNoisePictures([a, null, b])).toEqual({
      route: 'product', phase: 'settled', probeRate: 0.1, since: '2025-12-31T23:59:00.000Z', settledAt: '2026-01-01T00:02:00.000Z', reads: 200, probes: 60,
      known: [{ path: 'body.cache', seen: 5, firstAt: '2026-01-01T00:00:01.000Z' }, { path: 'body.eta', seen: 1, firstAt: '2026-01-01T00:00:09.000Z' }],
    });
    expect(mergeNoisePictures([a, picture({ phase: 'learning', probeRate: 1, settledAt: null })])).toMatchObject({ phase: 'learning', probeRate: 1, settledAt: null });
    expect(mergeNoisePictures([null, undefined])).toBeNull();
  });
});
