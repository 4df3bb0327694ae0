import type { ConversionGuard } from '../../../proxy/rules/types';
import type { ConversionJudgement } from '../../../shadow/stats/conversion-test';
import { conversionVerdict, type ConversionVerdict, type WindowConversions } from '../../../shadow/stats/conversion-verdict';

export type { WindowConversions } from '../../../shadow/stats/conversion-verdict';

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

const GATE_STATUS: Readonly<Record<ConversionVerdict, ConversionGateResult['status']>> = { pass: 'ok', rollback: 'failed', hold: 'waiting', 'not-judged': 'not-judged' };

/** The guard against a window's counts, as a rollout gate (the verdict is shadow/stats/conversion-verdict.ts, which the report and /stats show too). */
export function conversionGate(guard: ConversionGuard, conversions: WindowConversions, percent: number): ConversionGateResult {
  const { verdict, judgement } = conversionVerdict(guard, conversions, percent);
  const text = conversionText(guard, conversions, judgement);
  const status = GATE_STATUS[verdict];
  if (verdict === 'not-judged') return { status, judgement, text: `not judged at ${percent}%: ${percent === 0 ? 'no shopper is on extracted' : 'no shopper is on legacy'}` };
  if (verdict === 'hold') return { status, judgement, text: `${Math.min(conversions.legacy.shoppers, conversions.extracted.shoppers)}/${guard.minShoppers} shoppers a side; ${text}` };
  return { status, judgement, text };
}
