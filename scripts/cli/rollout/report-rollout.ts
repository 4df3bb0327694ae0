import type { CompiledRules, RolloutPlan } from '../../../proxy/rules/types';
import type { RouteRollout } from '../../../shadow/report/model';
import type { EvidenceStore } from '../../../shadow/store/evidence';
import { percentInFile } from '../rules-file';
import { countComparisons } from './comparisons';
import { stepOf } from './judge';
import { retirementOf } from './retirement';
import { stepWindow } from './window';

/**
 * The report's view of each route with a rollout plan: its step, the last verdict, and at 100 %
 * since when, the comparisons since then and whether legacy can be retired. Reads only: a hand
 * edit is dated as `rollout` would date it, not recorded.
 */
export async function reportRollouts(rules: CompiledRules, store: EvidenceStore, fileMtimeMs: number, now: number): Promise<Map<string, RouteRollout>> {
  const rollouts = new Map<string, RouteRollout>();
  for (const route of rules.routes) {
    if (route.rollout === null) continue;
    const plan: RolloutPlan = route.rollout;
    const percent = percentInFile(route);
    const last = await store.lastVerdict(route.name);
    let full = null;
    if (percent === 100) {
      const { since } = stepWindow(route.name, percent, await store.lastPercentEvent(route.name), fileMtimeMs, now, rules.file, 'report');
      full = retirementOf(plan, percent, since, now, await countComparisons(() => store.shadowRows(route.name, since, now)));
    }
    rollouts.set(route.name, {
      step: stepOf(plan.steps, percent),
      steps: [...plan.steps],
      percent,
      lastVerdict: last === null ? null : { verdict: last.verdict, at: new Date(last.at).toISOString(), summary: last.evidence.summary ?? '' },
      atFullSince: full === null ? null : new Date(full.atFullSince).toISOString(),
      comparisonsSinceFull: full?.comparisons ?? null,
      mismatchRateSinceFull: full?.mismatchRate ?? null,
      ready: full?.ready ?? false,
    });
  }
  return rollouts;
}
