import { judgeWindowAsync } from '../../../shadow/compare/window-verdict';
import type { ShadowCounts, ShadowRow } from '../../../shadow/store/evidence';

/**
 * Judges a window's diff rows as the report does: each comparison judged again with the fields the
 * whole window shows to be noise (legacy disagreeing with itself about as often as with extracted,
 * Diffy's rule), so a field legacy gets different now and then never rolls a route back, while
 * one extracted gets wrong stays a mismatch. Truncated answers and failed mirrors are reported, not
 * compared. `rows` is called twice: the judgement reads the window in two passes.
 */
export async function countComparisons(rows: () => AsyncIterable<ShadowRow>): Promise<ShadowCounts> {
  const verdict = await judgeWindowAsync(rows);
  return { comparisons: verdict.compared, mismatches: verdict.mismatched, truncated: verdict.truncated, errors: verdict.errors };
}
