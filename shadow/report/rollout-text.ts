import type { RouteRollout } from './model';

/** A route's rollout as the cells both renderers print (unescaped). */
export interface RolloutCells { percent: string; step: string; verdict: string; atFullSince: string; comparisons: string; mismatchRate: string; retire: string }

const rate = (value: number | null): string => (value === null ? 'n/a' : `${(value * 100).toFixed(2)}%`);

export function rolloutCells(rollout: RouteRollout): RolloutCells {
  const full = rollout.atFullSince !== null;
  return {
    percent: `${rollout.percent}%`,
    step: rollout.step === 0 ? `before step 1 of ${rollout.steps.length}` : `${rollout.step} of ${rollout.steps.length}`,
    verdict: rollout.lastVerdict === null ? 'none yet' : `${rollout.lastVerdict.verdict} (${rollout.lastVerdict.at}): ${rollout.lastVerdict.summary}`,
    atFullSince: rollout.atFullSince ?? '–',
    comparisons: full ? String(rollout.comparisonsSinceFull) : '–',
    mismatchRate: full ? rate(rollout.mismatchRateSinceFull) : '–',
    retire: rollout.ready ? 'ready' : full ? 'not yet' : '–',
  };
}
