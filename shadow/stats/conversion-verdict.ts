/**
 * The conversion guard's verdict on a window's counts (DESIGN "Conversion guard"), and the block
 * that shows it: one function for `strangler rollout`'s gate (scripts/cli/rollout/conversion-gate.ts),
 * the report's `routes[].conversion` and the proxy's /stats, so all three say the same thing of
 * the same counts. Pure.
 */
import type { ConversionGuard } from '../../proxy/rules/types';
import { conversionTest, type ConversionJudgement, type SideConversions } from './conversion-test';

/** rollback: a drop over max_drop is certain; hold: fewer than min_shoppers a side; not-judged: at 0 % or 100 % one side has nobody. */
export type ConversionVerdict = 'pass' | 'hold' | 'rollback' | 'not-judged';

export interface WindowConversions {
  readonly legacy: SideConversions;
  readonly extracted: SideConversions;
}

export interface GuardVerdict {
  readonly verdict: ConversionVerdict;
  readonly judgement: ConversionJudgement;
}

/**
 * Rolls back as soon as the sequential test is sure of a drop over max_drop, before min_shoppers
 * too (the test is valid at any number of looks and shoppers); otherwise holds until min_shoppers
 * on each side, then passes. At 0 % or 100 % one side has no shoppers by design: not judged.
 */
export function conversionVerdict(guard: ConversionGuard, conversions: WindowConversions, percent: number): GuardVerdict {
  const judgement = conversionTest(conversions.legacy, conversions.extracted, guard.maxDrop, guard.confidence);
  if (percent === 0 || percent === 100) return { verdict: 'not-judged', judgement };
  if (judgement.dropped) return { verdict: 'rollback', judgement };
  if (Math.min(conversions.legacy.shoppers, conversions.extracted.shoppers) < guard.minShoppers) return { verdict: 'hold', judgement };
  return { verdict: 'pass', judgement };
}

export interface SideConversion { readonly shoppers: number; readonly converted: number; readonly rate: number | null }

/** `routes[].conversion` of report.json and /stats (DESIGN: `{ goal, legacy, extracted, drop, interval }`, plus the verdict and the guard's settings). */
export interface ConversionView {
  readonly goal: string;
  readonly legacy: SideConversion;
  readonly extracted: SideConversion;
  /** 1 − extracted's rate / legacy's (0.5: half as many conversions; negative: more); null without both rates. */
  readonly drop: number | null;
  /** The always-valid interval on the drop at `confidence`; null while a side has no shopper. */
  readonly interval: readonly [number, number] | null;
  readonly verdict: ConversionVerdict;
  readonly maxDrop: number;
  readonly minShoppers: number;
  readonly confidence: number;
}

export function conversionView(guard: ConversionGuard, conversions: WindowConversions, percent: number): ConversionView {
  const { verdict, judgement } = conversionVerdict(guard, conversions, percent);
  const side = (s: SideConversions, rate: number | null): SideConversion => ({ shoppers: s.shoppers, converted: s.converted, rate });
  return {
    goal: guard.goal,
    legacy: side(conversions.legacy, judgement.legacyRate),
    extracted: side(conversions.extracted, judgement.extractedRate),
    drop: judgement.drop,
    interval: judgement.interval,
    verdict,
    maxDrop: guard.maxDrop,
    minShoppers: guard.minShoppers,
    confidence: guard.confidence,
  };
}

const percentText = (rate: number | null): string => (rate === null ? 'n/a' : `${(rate * 100).toFixed(1)}%`);

/** `30.0% (45/150)`: a side's rate with the shoppers behind it. */
export const sideText = (side: SideConversion): string => `${percentText(side.rate)} (${side.converted}/${side.shoppers})`;

/** `drop 83.3% [61.2% .. 93.1%]`, or `drop n/a`. */
export function dropText(view: Pick<ConversionView, 'drop' | 'interval'>): string {
  const drop = view.drop === null ? 'drop n/a' : `drop ${percentText(view.drop)}`;
  return view.interval === null ? drop : `${drop} [${percentText(view.interval[0])} .. ${percentText(view.interval[1])}]`;
}

export { percentText as conversionPercent };
