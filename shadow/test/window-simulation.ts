/**
 * A route's window of reads run through the same steps as the shadow worker (the noise probe's
 * decision, the comparison with or without legacy's second answer, the row it stores), from a
 * seeded generator, so every run sees the same window. Used by the window cases of the corpus
 * (corpus/windows/*.yaml) and by noise-window.test.ts.
 */
import { judge, type ShadowAnswer } from '../compare/compare';
import type { StoredComparison } from '../compare/window-verdict';
import { decodeAnswer } from '../decode-answer';
import { prng as seeded } from '../../legacy-monolith/src/db/prng';
import { NoiseProbes } from '../noise-probes';

const CONFIG = { ignore: [], arrayKeys: {}, normalisers: [] };


function answer(body: unknown): ShadowAnswer {
  const bytes = Buffer.from(JSON.stringify(body));
  return decodeAnswer({ status: 200, headers: { 'content-type': 'application/json' }, body: bytes, truncated: false, ms: 1 }, 256 * 1024);
}

export interface WindowRow extends StoredComparison {
  readonly probed: boolean;
  /** Legacy and extracted differed at the flapping field. */
  readonly flapDiffered: boolean;
  /** Legacy's two answers differed at the flapping field (a probed read only). */
  readonly probeSawFlap: boolean;
}

export interface WindowTraffic {
  readonly reads: number;
  /** Every answer's JSON body, before the flap and the wrong value are applied. */
  readonly body: Readonly<Record<string, unknown>>;
  /** A field that, on each answer of either side independently, takes `value` with probability `rate`. */
  readonly flap: { readonly field: string; readonly value: unknown; readonly rate: number };
  /** A field extracted answers `value` for on the reads `wrongOn(i)` picks (legacy never does). */
  readonly wrong?: { readonly field: string; readonly value: unknown; readonly on: (read: number) => boolean };
}

export function simulateWindow(traffic: WindowTraffic, seed: number): { rows: WindowRow[]; probes: NoiseProbes } {
  const draw = seeded(seed);
  const probes = new NoiseProbes(undefined, seeded(seed + 1), () => 0);
  const { field, value, rate } = traffic.flap;
  const body = (extra: Record<string, unknown> = {}): unknown => ({ ...traffic.body, ...(draw() < rate ? { [field]: value } : {}), ...extra });
  const rows: WindowRow[] = [];
  for (let i = 0; i < traffic.reads; i++) {
    const probed = probes.take('route', 'rules-1');
    const legacy = answer(body());
    const again = probed ? answer(body()) : null;
    const wrong = traffic.wrong !== undefined && traffic.wrong.on(i) ? { [traffic.wrong.field]: traffic.wrong.value } : {};
    const extracted = answer(body(wrong));
    const verdict = judge(legacy, again, extracted, CONFIG, probed ? [] : probes.known('route'));
    probes.record('route', probed ? verdict.legacyDiffers : null);
    rows.push({
      method: 'GET', outcome: verdict.outcome, paths: verdict.differing, noise: probed ? verdict.legacyDiffers : null,
      probed, flapDiffered: verdict.differing.includes(`body.${field}`), probeSawFlap: verdict.legacyDiffers.includes(`body.${field}`),
    });
  }
  return { rows, probes };
}
