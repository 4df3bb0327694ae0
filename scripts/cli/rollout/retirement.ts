import { formatDuration } from '../../../proxy/rules/duration';
import type { RolloutPlan } from '../../../proxy/rules/types';
import type { ShadowCounts } from '../../../shadow/store/evidence';
import { formatElapsed, rateText } from './units';

/** Whether legacy's side of a route can go: at 100 % for retire_after, with its comparisons within budget. */
export interface Retirement {
  /** When the route reached 100 % (ms since the epoch). */
  readonly atFullSince: number;
  /** At 100 % these are reverse-shadow comparisons: legacy asked while extracted serves. */
  readonly comparisons: number;
  readonly mismatchRate: number | null;
  readonly ready: boolean;
  readonly text: string;
}

/**
 * Pure. Null below 100 %. Ready needs the time and at least one comparison within
 * max_mismatch_rate: without comparisons nothing shows that legacy and extracted still agree.
 */
export function retirementOf(plan: RolloutPlan, percent: number, atFullSince: number, now: number, shadow: ShadowCounts): Retirement | null {
  if (percent !== 100) return null;
  const elapsed = Math.max(0, now - atFullSince);
  const mismatchRate = shadow.comparisons === 0 ? null : shadow.mismatches / shadow.comparisons;
  const timeReached = elapsed >= plan.retireAfterMs;
  const withinBudget = mismatchRate !== null && mismatchRate <= plan.maxMismatchRate;
  const ready = timeReached && withinBudget;
  const figures = `${rateText(mismatchRate)} mismatches in ${shadow.comparisons} comparisons since reaching 100%`;
  let text: string;
  if (ready) {
    text = `legacy can be retired: ${formatElapsed(elapsed)} at 100% (retire_after ${formatDuration(plan.retireAfterMs)}), ${figures}`;
  } else {
    const missing = [
      ...(timeReached ? [] : [`${formatElapsed(elapsed)}/${formatDuration(plan.retireAfterMs)} at 100%`]),
      mismatchRate === null ? 'no comparisons since reaching 100% (shadow the route to compare legacy)'
        : withinBudget ? figures : `${figures}, over ${rateText(plan.maxMismatchRate)}`,
    ];
    text = `not ready to retire legacy: ${missing.join(', ')}`;
  }
  return { atFullSince, comparisons: shadow.comparisons, mismatchRate, ready, text };
}
