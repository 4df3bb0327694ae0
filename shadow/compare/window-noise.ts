/**
 * Noise judged over a window of requests, as Diffy does (twitter/diffy, JoinedDifferences.scala):
 * per field, how often legacy's two answers to a request differed there, against how often legacy
 * and extracted differed there. A field legacy disagrees with itself on about as often as it
 * disagrees with extracted is noise (a cache status, an estimate, a render id), even on the
 * requests where legacy happened to agree with itself. A field extracted gets wrong more often
 * than legacy disagrees with itself is real. Pure: counts in, judgements out.
 *
 * Legacy is asked twice on a sample of the reads only (the noise probe, shadow/noise-probe.ts), so
 * the two rates have their own denominators: legacy's over the reads probed, extracted's over
 * every read compared. Diffy's thresholds are applied to the rates, never to the raw counts.
 */

/** Diffy's thresholds, in percent as Diffy writes them (its flags `threshold.relative` and `threshold.absolute`). */
export interface NoiseThresholds {
  /** |extracted − legacy| / (extracted + legacy), in percent: at or under it, the two rates are close. Diffy: 20. */
  readonly relativePercent: number;
  /** |extracted − legacy| / requests, in percentage points: at or under it, the difference is too small to be real. Diffy: 0.03. */
  readonly absolutePercent: number;
}

export const DIFFY_THRESHOLDS: NoiseThresholds = Object.freeze({ relativePercent: 20, absolutePercent: 0.03 });

/** One field's counts over a window. */
export interface FieldCounts {
  /** The field, as a generic path: `body.items[].price`, `html.body.main.p[].span: text`. */
  readonly field: string;
  /** Requests compared where legacy and extracted differed at this field. */
  readonly extractedDiffers: number;
  /** Requests probed (legacy asked twice) where legacy's two answers differed at this field. */
  readonly legacyDiffers: number;
}

/** A window's denominators: requests compared, and those of them probed (legacy asked twice). */
export interface WindowRequests {
  readonly compared: number;
  readonly probed: number;
}

export interface FieldNoise extends FieldCounts {
  /** extractedDiffers / requests compared. */
  readonly extractedRate: number;
  /** legacyDiffers / requests probed. */
  readonly legacyRate: number;
  /** |extractedRate − legacyRate| / (extractedRate + legacyRate) × 100. */
  readonly relativePercent: number;
  /** |extractedRate − legacyRate| × 100, in percentage points. */
  readonly absolutePercent: number;
  /** True: the field is noise over this window; its differences explain no mismatch. */
  readonly noise: boolean;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new RangeError(`judgeFieldNoise: ${message}`);
}

/**
 * Which fields are noise over a window, one judgement per field in `fields`, in the order given.
 * `requests`: the requests compared and probed, or one number when every one was probed. Diffy's rule: a field is a real difference
 * when extracted differs from legacy more often than legacy differs from itself, by more than
 * `relativePercent` of the two together and more than `absolutePercent` of the requests; otherwise
 * noise. One departure from Diffy: a field legacy never disagreed with itself on is never noise,
 * however rarely extracted gets it wrong (Diffy's absolute threshold would hide a field extracted
 * gets wrong once in 10,000 requests; a rollout gate should see it).
 */
export function judgeFieldNoise(requests: number | WindowRequests, fields: readonly FieldCounts[], thresholds: NoiseThresholds = DIFFY_THRESHOLDS): FieldNoise[] {
  const { compared, probed } = typeof requests === 'number' ? { compared: requests, probed: requests } : requests;
  check(Number.isSafeInteger(compared) && compared >= 0, `requests must be a whole number ≥ 0, not ${compared}`);
  check(Number.isSafeInteger(probed) && probed >= 0 && probed <= compared, `requests probed must be a whole number from 0 to those compared (${compared}), not ${probed}`);
  check(Number.isFinite(thresholds.relativePercent) && thresholds.relativePercent >= 0 && thresholds.relativePercent <= 100, `relativePercent must be 0..100, not ${thresholds.relativePercent}`);
  check(Number.isFinite(thresholds.absolutePercent) && thresholds.absolutePercent >= 0 && thresholds.absolutePercent <= 100, `absolutePercent must be 0..100, not ${thresholds.absolutePercent}`);
  return fields.map((f) => {
    check(Number.isSafeInteger(f.extractedDiffers) && f.extractedDiffers >= 0 && f.extractedDiffers <= compared,
      `${f.field}: counts must be whole numbers from 0 to requests (${compared}), not ${f.extractedDiffers}`);
    check(Number.isSafeInteger(f.legacyDiffers) && f.legacyDiffers >= 0 && f.legacyDiffers <= probed,
      `${f.field}: counts must be whole numbers from 0 to requests probed (${probed}), not ${f.legacyDiffers}`);
    // Both rates over one denominator, compared × probed: extractedDiffers × probed against
    // legacyDiffers × compared. Whole numbers, multiplied before dividing, so a rate exactly at a
    // threshold (8 of 40 = 20 %) is exactly at it; with every request probed these are the counts
    // times one factor, and the percentages come out exactly as from the counts alone.
    const scale = probed === 0 ? 1 : probed;
    const extracted = f.extractedDiffers * scale;
    const legacy = f.legacyDiffers * compared;
    const gap = Math.abs(extracted - legacy);
    const both = extracted + legacy;
    const relativePercent = both === 0 ? 0 : (gap * 100) / both;
    const absolutePercent = compared === 0 ? 0 : (gap * 100) / (compared * scale);
    const real = extracted > legacy && relativePercent > thresholds.relativePercent && absolutePercent > thresholds.absolutePercent;
    return {
      field: f.field, extractedDiffers: f.extractedDiffers, legacyDiffers: f.legacyDiffers,
      extractedRate: compared === 0 ? 0 : f.extractedDiffers / compared, legacyRate: probed === 0 ? 0 : f.legacyDiffers / probed,
      relativePercent, absolutePercent, noise: f.legacyDiffers > 0 && !real,
    };
  });
}
