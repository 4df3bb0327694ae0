/**
 * Conversion per side of the watched routes (the guarded ones, and any `--degrade`d one) as the
 * simulated shoppers of `strangler traffic` saw it: a shopper counts on each side of a route they
 * were served, and a purchase (a checkout answered 2xx) is credited to the side of their latest
 * request to the route, as the proxy credits it (docs/rollout.md, who gets the credit).
 */
import { SIDES, type Degrade, type Side } from './shopper-funnel';

export interface SideConversion { shoppers: number; bought: number; rate: number | null }

export interface RouteConversion {
  route: string;
  legacy: SideConversion;
  extracted: SideConversion;
  /** The `--degrade`s on this route. */
  degraded: Array<{ side: Side; factor: number }>;
}

export class ConversionTally {
  private readonly seen = new Map<string, Record<Side, Set<string>>>();
  private readonly bought = new Map<string, Record<Side, Set<string>>>();

  constructor(readonly routes: readonly string[]) {
    for (const route of routes) {
      this.seen.set(route, { legacy: new Set(), extracted: new Set() });
      this.bought.set(route, { legacy: new Set(), extracted: new Set() });
    }
  }

  /** A shopper's request to `route` was served by `side`. */
  exposed(route: string, side: Side, shopper: string): void {
    this.seen.get(route)?.[side].add(shopper);
  }

  /** A shopper bought; `sideSeen` gives the side of their latest request to a route, or null. */
  converted(shopper: string, sideSeen: (route: string) => Side | null): void {
    for (const [route, sides] of this.bought) {
      const side = sideSeen(route);
      if (side !== null) sides[side].add(shopper);
    }
  }

  summary(degrades: readonly Degrade[]): RouteConversion[] {
    return this.routes.map((route) => {
      const per = (side: Side): SideConversion => {
        const shoppers = this.seen.get(route)![side].size;
        const bought = this.bought.get(route)![side].size;
        return { shoppers, bought, rate: shoppers === 0 ? null : bought / shoppers };
      };
      return { route, legacy: per('legacy'), extracted: per('extracted'), degraded: degrades.filter((d) => d.route === route).map((d) => ({ side: d.side, factor: d.factor })) };
    });
  }
}

const percent = (rate: number | null): string => (rate === null ? '-' : `${(rate * 100).toFixed(1)}%`);

/** The conversion table for people: one row per route and side. */
export function formatConversion(rows: readonly RouteConversion[]): string[] {
  const head = ['route', 'side', 'shoppers', 'bought', 'rate', ''];
  const cells = rows.flatMap((r) => SIDES.map((side) => {
    const c = r[side];
    const degraded = r.degraded.find((d) => d.side === side);
    return [r.route, side, String(c.shoppers), String(c.bought), percent(c.rate), degraded ? `--degrade ×${degraded.factor}` : ''];
  }));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)) + 2);
  return [head, ...cells].map((row) => row.map((c, i) => c.padEnd(widths[i])).join('').trimEnd());
}
