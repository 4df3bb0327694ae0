/**
 * What /stats and the dashboard show of a guarded route's conversion (DESIGN "Conversion guard"):
 * the store's counts over the current step, the window `strangler rollout` judges. The store is
 * the one place every worker and replica's shoppers add up, so the proxy reads them from there
 * rather than summing what each process saw (a shopper served by two workers is one shopper).
 */
import type { EvidenceStore } from './evidence';
import type { WindowShoppers } from './shoppers';

/** With no percent change recorded (a route never ramped by a command or the rollout): the last day. */
export const GUARD_FALLBACK_WINDOW_MS = 86_400_000;

/** A route's exposed and converted shoppers per side from `since` (ms) up to `until`, as the store had them then. */
export interface GuardWindow extends WindowShoppers {
  readonly route: string;
  readonly since: number;
  readonly until: number;
}

/** The window starts at the route's last recorded percent change (the step `rollout` judges), else a day before `now`. */
export async function readGuardWindow(store: Pick<EvidenceStore, 'lastPercentEvent' | 'conversions'>, route: string, now: number): Promise<GuardWindow> {
  const since = (await store.lastPercentEvent(route))?.at ?? now - GUARD_FALLBACK_WINDOW_MS;
  const { legacy, extracted } = await store.conversions(route, since, now);
  return { route, since, until: now, legacy, extracted };
}
