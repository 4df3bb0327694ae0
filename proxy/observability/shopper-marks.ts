import type http from 'node:http';
import type { BreakerGates, Decision, RequestFacts } from '../decide/decide';
import { sideOf } from '../decide/decide';
import { identityOf } from '../decide/identity';
import { shopperKey } from '../decide/shopper-key';
import type { FlagSnapshot } from '../flags/flag-state';
import type { CompiledRoute, CompiledRules } from '../rules/types';
import type { ShopperKind, ShopperMark } from '../../shadow/store/shoppers';
import type { TrafficBackend } from '../../shadow/store/traffic';

/** What one rules table asks of the counting: which routes are guarded, and which guarded routes each goal route credits. */
interface GuardIndex {
  readonly guarded: ReadonlySet<string>;
  readonly creditsByGoalRoute: ReadonlyMap<string, ReadonlyArray<{ readonly route: CompiledRoute; readonly statusClass: number }>>;
}

const NO_GUARDS: GuardIndex = { guarded: new Set(), creditsByGoalRoute: new Map() };

function indexOf(rules: CompiledRules): GuardIndex {
  const guardedRoutes = rules.routes.filter((r) => r.rollout !== null && r.rollout.guard !== null);
  if (guardedRoutes.length === 0) return NO_GUARDS;
  const credits = new Map<string, Array<{ route: CompiledRoute; statusClass: number }>>();
  for (const route of guardedRoutes) {
    const goal = rules.goals.find((g) => g.name === route.rollout!.guard!.goal);
    if (goal === undefined) continue;
    const list = credits.get(goal.route) ?? [];
    list.push({ route, statusClass: goal.statusClass });
    credits.set(goal.route, list);
  }
  return { guarded: new Set(guardedRoutes.map((r) => r.name)), creditsByGoalRoute: credits };
}

/**
 * Most distinct (kind, route, side, shopper) marks one minute keeps: about 50 bytes each in the
 * set, so a few MB whatever a day brings. Past it a minute's new shoppers are dropped and counted.
 */
export const MAX_MARKS_PER_MINUTE = 100_000;

/**
 * The conversion guard's counting on the shoppers' thread (DESIGN "Conversion guard"). A request
 * on a guarded route exposes its shopper on the side the decision gave; a goal route's answer in
 * the goal's status class converts the shopper for each guarded route watching that goal, on the
 * side that route's decision gives the same identity now (recomputed: nothing is remembered
 * between requests). Each (kind, route, side, shopper) is shipped once a minute: a shopper seen
 * again in the minute costs nothing, and the sets start empty every minute, so memory follows the
 * shoppers of one minute, not of a day. The store keeps one row per shopper and day (shoppers.ts).
 */
export class ShopperMarks {
  private table: CompiledRules | null = null;
  private index: GuardIndex = NO_GUARDS;
  private minute = -1;
  private seen = new Map<string, Set<number>>();
  private size = 0;
  private pending: ShopperMark[] = [];
  /** Marks dropped: a minute already held MAX_MARKS_PER_MINUTE, or no shadow worker could ship them. */
  dropped = 0;

  constructor(private readonly maxPerMinute = MAX_MARKS_PER_MINUTE) {}

  /** One answered request: its exposure on a guarded route, its conversion on a goal route. */
  observe(rules: CompiledRules, decision: Decision, req: http.IncomingMessage, status: number, flags: FlagSnapshot, breakers: BreakerGates, now = Date.now()): void {
    if (rules !== this.table) { this.table = rules; this.index = indexOf(rules); }
    const route = decision.route;
    if (route === null || this.index === NO_GUARDS) return;
    // A tester's forced side says nothing about shoppers.
    if (this.index.guarded.has(route.name) && decision.identity !== null && decision.reason !== 'override') {
      this.mark('exposed', route.name, decision.side, decision.identity, now);
    }
    const credits = this.index.creditsByGoalRoute.get(route.name);
    if (credits === undefined) return;
    const facts: RequestFacts = { method: req.method!, path: req.url!, headers: req.headers, remoteAddress: req.socket.remoteAddress };
    for (const { route: guarded, statusClass } of credits) {
      if (Math.floor(status / 100) !== statusClass) continue;
      // The guarded route's own sticky identity on this request; a shopper without one was never exposed.
      const identity = identityOf(guarded.stickyBy, req.headers);
      if (identity === null) continue;
      this.mark('converted', guarded.name, sideOf(guarded, facts, flags, identity.value, breakers), identity.value, now);
    }
  }

  /** Every mark since the last call (the current minute's sets stay: a shopper already shipped this minute is not shipped again). */
  take(): ShopperMark[] {
    const all = this.pending;
    this.pending = [];
    return all;
  }

  /** Marks taken that could not be shipped (no shadow worker): counted as dropped. */
  lost(count: number): void {
    this.dropped += count;
  }

  private mark(kind: ShopperKind, route: string, side: TrafficBackend, identity: string, now: number): void {
    const minute = now - (now % 60_000);
    if (minute !== this.minute) {
      this.minute = minute;
      this.seen = new Map();
      this.size = 0;
    }
    const setKey = `${kind}\u0000${route}\u0000${side}`;
    let set = this.seen.get(setKey);
    if (set === undefined) { set = new Set(); this.seen.set(setKey, set); }
    const shopper = shopperKey(identity);
    if (set.has(shopper)) return;
    if (this.size >= this.maxPerMinute) { this.dropped++; return; }
    set.add(shopper);
    this.size++;
    this.pending.push({ kind, route, side, shopper, minute });
  }
}
