import { conversionPercent, sideText, type ConversionView } from '../stats/conversion-verdict';

/** The table's explanation, the same in HTML and Markdown. */
export const CONVERSION_NOTE = 'Shoppers exposed on each side of a guarded route in this period, and how many of them then reached the goal. '
  + 'The drop is 1 − extracted\'s rate / legacy\'s; its interval is always valid (safe however often it is looked at). '
  + 'The verdict is the one `strangler rollout` gives these counts, over this report\'s window rather than the current step\'s.';

export const CONVERSION_HEADERS = ['route', 'goal', 'legacy (converted/shoppers)', 'extracted (converted/shoppers)', 'drop', 'interval', 'max drop', 'verdict'] as const;

const VERDICT_TEXT = { pass: 'pass', hold: 'hold', rollback: 'rollback', 'not-judged': 'not judged' } as const;

/** One guarded route's conversion as table cells (plain text; each renderer escapes). */
export function conversionCells(route: string, view: ConversionView): { cells: string[]; verdict: ConversionView['verdict'] } {
  const fewest = Math.min(view.legacy.shoppers, view.extracted.shoppers);
  const verdict = view.verdict === 'hold' ? `hold: ${fewest}/${view.minShoppers} shoppers a side` : view.verdict === 'not-judged' ? 'not judged (one side has every shopper)' : VERDICT_TEXT[view.verdict];
  const interval = view.interval === null ? '–' : `${conversionPercent(view.interval[0])} .. ${conversionPercent(view.interval[1])} at ${view.confidence * 100}%`;
  return {
    cells: [route, view.goal, sideText(view.legacy), sideText(view.extracted), conversionPercent(view.drop), interval, conversionPercent(view.maxDrop), verdict],
    verdict: view.verdict,
  };
}
