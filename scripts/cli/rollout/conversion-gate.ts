import type { ConversionGuard } from '../../../proxy/rules/types';
import { conversionTest, type ConversionJudgement, type SideConversions } from '../../../shadow/stats/conversion-test';

/** A window's exposed and converted shoppers per side (DESIGN "Conversion guard"). */
export interface WindowConversions {
  readonly legacy: SideConversions;
  readonly extracted: SideConversions;
}

const percentText = (rate: number | null): string => (rate === null ? 'n/a' : `${(rate * 100).toFixed(1)}%`);

/** `legacy 30.0% (45/150 shoppers), extracted 5.0% (7/140), drop 83.3% [61.2% .. 93.1%] at 95%, max 5%`. */
export function conversionText(guard: ConversionGuard, conversions: WindowConversions, judgement: ConversionJudgement): string {
  const { legacy, extracted } = conversions;
  const rates = `legacy ${percentText(judgement.legacyRate)} (${legacy.converted}/${legacy.shoppers} shoppers), extracted ${percentText(judgement.extractedRate)} (${extracted.converted}/${extracted.shoppers})`;
  const drop = judgement.drop === null ? 'drop n/a' : `drop ${percentText(judgement.drop)}`;
  const interval = judgement.interval === null ? '' : ` [${percentText(judgement.interval[0])} .. ${percentText(judgement.interval[1])}]`;
  return `${guard.goal}: ${rates}, ${drop}${interval} at ${guard.confidence * 100}%, max ${percentText(guard.maxDrop)}`;
}

export interface ConversionGateResult {
  readonly status: 'ok' | 'failed' | 'waiting' | 'not-judged';
  readonly judgement: ConversionJudgement;
  readonly text: string;
}

/**
 * The guard against a window's counts. Rolls back as soon as the sequential test is sure of a drop
 * over max_drop, before min_shoppers too (the test is valid at any number of looks and shoppers);
 * otherwise waits for min_shoppers on each side, then passes. At 0 % or 100 % one side has no
 * shoppers by design: not judged.
 */
export function conversionGate(guard: ConversionGuard, conversions: WindowConversions, percent: number): ConversionGateResult {
  const judgement = conversionTest(conversions.legacy, conversions.extracted, guard.maxDrop, guard.confidence);
  const text = conversionText(guard, conversions, judgement);
  if (percent === 0 || percent === 100) {
    return { status: 'not-judged', judgement, text: `not judged at ${percent}%: ${percent === 0 ? 'no shopper is on extracted' : 'no shopper is on legacy'}` };
  }
  if (judgement.dropped) return { status: 'failed', judgement, text };
  const fewest = Math.min(conversions.legacy.shoppers, conversions.extracted.shoppers);
  if (fewest < guard.minShoppers) return { status: 'waiting', judgement, text: `${fewest}/${guard.minShoppers} shoppers a side; ${text}` };
  return { status: 'ok', judgement, text };
}
