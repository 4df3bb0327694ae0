/**
 * The conversion guard's judgement (DESIGN "Conversion guard"): is extracted's conversion rate
 * lower than legacy's by more than `maxDrop` (relative), at `confidence`, in a way that stays true
 * however often it is looked at? Pure: counts and a confidence in, an interval and a verdict out.
 *
 * The method: a mixture sequential probability ratio test (mSPRT) on the log of the rate ratio,
 * as in Johari, Pekelis and Walsh, "Always valid inference" (the method behind Optimizely's Stats
 * Engine). Its confidence sequence
 *
 *   log(pE / pL)  ∈  estimate ± sqrt( V (V + τ²) / τ² · (2 ln(1/α) + ln((V + τ²) / V)) )
 *
 * (V the estimate's variance, τ² the mixture's, α = 1 − confidence) covers the true ratio at
 * every look at once with probability ≥ 1 − α, so `rollout --watch 1m` can judge every minute for
 * a day without inflating false rollbacks, where a fixed-sample z-test judged 1,440 times would
 * roll back an equal route most days. The log of the ratio rather than the difference: the guard
 * speaks of a relative drop, and the ratio's interval maps straight onto the drop's.
 * Rates are estimated with half a shopper added to each count (Haldane–Anscombe), so a side with
 * no conversion yet has a finite ratio and a wide interval rather than a certain one.
 * The seeded simulation in shadow/test/conversion-test.test.ts shows both promises.
 */

export interface SideConversions {
  /** Distinct shoppers exposed on the side in the window. */
  readonly shoppers: number;
  /** Of those, the ones who reached the goal. */
  readonly converted: number;
}

export interface ConversionJudgement {
  readonly legacyRate: number | null;
  readonly extractedRate: number | null;
  /** 1 − extracted's rate / legacy's: 0.5 is half as many conversions; negative is more. Null without both rates. */
  readonly drop: number | null;
  /** The always-valid interval on the drop at the confidence; null while either side has no shopper. */
  readonly interval: readonly [number, number] | null;
  /** Every drop the interval allows is larger than maxDrop: roll back. */
  readonly dropped: boolean;
  /** Every drop the interval allows is smaller than maxDrop: a drop that large is ruled out. */
  readonly cleared: boolean;
}

/**
 * The mixture's variance on the log ratio. It tunes how fast effects of different sizes are
 * found, never the error rate: τ = 0.5 is tuned for large drops (a 50 % drop is a log ratio of
 * −0.69), the failures a guard exists to catch quickly; a 5 % drop takes many more shoppers
 * whatever τ is.
 */
export const MIXTURE_VARIANCE = 0.25;

const rate = (side: SideConversions): number | null => (side.shoppers === 0 ? null : side.converted / side.shoppers);

export function conversionTest(legacy: SideConversions, extracted: SideConversions, maxDrop: number, confidence: number, tau2 = MIXTURE_VARIANCE): ConversionJudgement {
  const legacyRate = rate(legacy);
  const extractedRate = rate(extracted);
  const drop = legacyRate === null || extractedRate === null || legacyRate === 0 ? null : 1 - extractedRate / legacyRate;
  if (legacy.shoppers === 0 || extracted.shoppers === 0) return { legacyRate, extractedRate, drop, interval: null, dropped: false, cleared: false };
  const pE = (extracted.converted + 0.5) / (extracted.shoppers + 1);
  const pL = (legacy.converted + 0.5) / (legacy.shoppers + 1);
  const estimate = Math.log(pE / pL);
  // Delta method: var(log p̂) ≈ (1 − p) / (n p).
  const v = (1 - pE) / ((extracted.shoppers + 1) * pE) + (1 - pL) / ((legacy.shoppers + 1) * pL);
  const alpha = 1 - confidence;
  const half = Math.sqrt(((v * (v + tau2)) / tau2) * (2 * Math.log(1 / alpha) + Math.log((v + tau2) / v)));
  const interval: [number, number] = [1 - Math.exp(estimate + half), 1 - Math.exp(estimate - half)];
  return { legacyRate, extractedRate, drop, interval, dropped: interval[0] > maxDrop, cleared: interval[1] < maxDrop };
}
