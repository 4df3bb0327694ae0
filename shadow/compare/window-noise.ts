/**
 * Noise judged over a window of requests, as Diffy does (twitter/diffy, JoinedDifferences.scala):
 * per field, how often legacy's two answers to a request differed there, against how often legacy
 * and extracted differed there. A field legacy disagrees with itself on about as often as it
 * disagrees with extracted is noise (a cache status, an estimate, a render id), even on the
 * requests where legacy happened to agree with itself. A field extracted gets wrong more often
 * than legacy disagrees with itself is real. Pure: counts in, judgements out.
 */

/** Diffy's thresholds, in percent as Diffy writes them (its flags `threshold.relative` and `threshold.absolute`). */
export interface NoiseThresholds {
  /** |extracted − legacy| / (extracted + legacy), in percent: at or under it, the two rates are close. Diffy: 20. */
  readonly relativePercent: number;
  /** |extracted − legacy| / requests, in percentage points: at or under it, the difference is too small to be real. Diffy: 0.03. */
  readonly absolutePercent: number;
}

export const DIFFY_THRESHOLDS: NoiseThresholds = Object.freeze({ relativePercent: 20, absolutePercent: 0.03 });

/** One field's counts over a window: requests compared with legacy asked twice. */
export interface FieldCounts {
  /** The field, as a generic path: `body.items[].price`, `html.body.main.p[].span: text`. */
  readonly field: string;
  /** Requests where legacy and extracted differed at this field. */
  readonly extractedDiffers: number;
  /** Requests where legacy's two answers differed at this field. */
  readonly legacyDiffers: number;
}

export interface FieldNoise extends FieldCounts {
  /** extractedDiffers / requests. */
  readonly extractedRate: number;
  /** legacyDiffers / requests. */
  readonly legacyRate: number;
  /** |extractedDiffers − legacyDiffers| / (extractedDiffers + legacyDiffers) × 100. */
  readonly relativePercent: number;
  /** |extractedDiffers − legacyDiffers| / requests × 100. */
  readonly absolutePercent: number;
  /** True: the field is noise over this window; its differences explain no mismatch. */
  readonly noise: boolean;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new RangeError(`judgeFieldNoise: ${message}`);
}

/**
 * Which fields are noise over a window of `requests` (each compared with legacy asked twice), one
 * judgement per field in `fields`, in the order given. Diffy's rule: a field is a real difference
 * when extracted differs from legacy more often than legacy differs from itself, by more than
 * `relativePercent` of the two together and more than `absolutePercent` of the requests; otherwise
 * noise. One departure from Diffy: a field legacy never disagreed with itself on is never noise,
 * however rarely extracted gets it wrong (Diffy's absolute threshold would hide a field extracted
 * gets wrong once in 10,000 requests; a rollout gate should see it).
 */
export function judgeFieldNoise(requests: number, fields: readonly FieldCounts[], thresholds: NoiseThresholds = DIFFY_THRESHOLDS): FieldNoise[] {
  check(Number.isSafeInteger(requests) && requests >= 0, `requests must be a whole number ≥ 0, not ${requests}`);
  check(Number.isFinite(thresholds.relativePercent) && thresholds.relativePercent >= 0 && thresholds.relativePercent <= 100, `relativePercent must be 0..100, not ${thresholds.relativePercent}`);
  check(Number.isFinite(thresholds.absolutePercent) && thresholds.absolutePercent >= 0 && thresholds.absolutePercent <= 100, `absolutePercent must be 0..100, not ${thresholds.absolutePercent}`);
  return fields.map((f) => {
    for (const count of [f.extractedDiffers, f.legacyDiffers]) {
      check(Number.isSafeInteger(count) && count >= 0 && count <= requests, `${f.field}: counts must be whole numbers from 0 to requests (${requests}), not ${count}`);
    }
    const gap = Math.abs(f.extractedDiffers - f.legacyDiffers);
    const both = f.extractedDiffers + f.legacyDiffers;
    // Multiplied before dividing, so a rate exactly at a threshold (8 of 40 = 20 %) is exactly at it.
    const relativePercent = both === 0 ? 0 : (gap * 100) / both;
    const absolutePercent = requests === 0 ? 0 : (gap * 100) / requests;
    const real = f.extractedDiffers > f.legacyDiffers && relativePercent > thresholds.relativePercent && absolutePercent > thresholds.absolutePercent;
    return {
      field: f.field, extractedDiffers: f.extractedDiffers, legacyDiffers: f.legacyDiffers,
      extractedRate: requests === 0 ? 0 : f.extractedDiffers / requests, legacyRate: requests === 0 ? 0 : f.legacyDiffers / requests,
      relativePercent, absolutePercent, noise: f.legacyDiffers > 0 && !real,
    };
  });
}
