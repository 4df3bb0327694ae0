/**
 * What became of one sampled request. Its own module, free of imports, so the shoppers' thread
 * (metrics, /status) can name the outcomes without loading the comparison.
 * - `match`, `mismatch`: compared;
 * - `truncated`: an answer past the capture cap, so not compared, and never counted as a match;
 * - `error`: a mirrored request failed; `dropped`: too many in flight, or no worker;
 * - `skipped`: a write served by extracted (never sent to legacy).
 */
export type ShadowOutcome = 'match' | 'mismatch' | 'truncated' | 'error' | 'dropped' | 'skipped';

export const SHADOW_OUTCOMES: readonly ShadowOutcome[] = Object.freeze(['match', 'mismatch', 'truncated', 'error', 'dropped', 'skipped']);

export function noOutcomes(): Record<ShadowOutcome, number> {
  return { match: 0, mismatch: 0, truncated: 0, error: 0, dropped: 0, skipped: 0 };
}
