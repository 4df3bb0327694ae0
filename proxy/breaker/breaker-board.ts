import type { CompiledRoute, BreakerConfig } from '../rules/types';
import { RouteBreaker, type BreakerChange, type BreakerGate, type BreakerStatus } from './route-breaker';

export type { BreakerGate, BreakerStatus } from './route-breaker';

const sameConfig = (a: BreakerConfig, b: BreakerConfig): boolean =>
  a.failureRate === b.failureRate && a.minRequests === b.minRequests && a.windowMs === b.windowMs && a.openForMs === b.openForMs && a.probes === b.probes;

/**
 * Every route's breaker in this proxy process (state is per process and starts closed). A reload
 * keeps a route's breaker, state and all, unless its settings changed: then it starts closed.
 */
export class BreakerBoard {
  private readonly breakers = new Map<string, RouteBreaker>();

  constructor(private readonly changed: (route: string, change: BreakerChange) => void, private readonly now: () => number = Date.now) {}

  /** Makes the board match the active rules. */
  sync(routes: readonly CompiledRoute[]): void {
    const wanted = new Set<string>();
    for (const route of routes) {
      if (route.breaker === null) continue;
      wanted.add(route.name);
      const existing = this.breakers.get(route.name);
      if (existing !== undefined && sameConfig(existing.config, route.breaker)) continue;
      this.breakers.set(route.name, new RouteBreaker(route.breaker, this.now, (change) => this.changed(route.name, change)));
    }
    for (const name of this.breakers.keys()) if (!wanted.has(name)) this.breakers.delete(name);
  }

  /** The breaker's say in the decision for this route (`closed` for a route without one). */
  gate(route: CompiledRoute): BreakerGate {
    if (route.breaker === null) return 'closed';
    const breaker = this.breakers.get(route.name);
    return breaker === undefined ? 'closed' : breaker.gate();
  }

  probeStarted(route: CompiledRoute): void {
    this.breakers.get(route.name)?.probeStarted();
  }

  probeAbandoned(route: CompiledRoute): void {
    this.breakers.get(route.name)?.probeAbandoned();
  }

  result(route: CompiledRoute, failed: boolean, probe: boolean): void {
    if (route.breaker === null) return;
    this.breakers.get(route.name)?.result(failed, probe);
  }

  status(route: string): BreakerStatus | null {
    return this.breakers.get(route)?.status() ?? null;
  }

  /** [route, status] for every breaker, for metrics at scrape time. */
  all(): Array<[string, BreakerStatus]> {
    return [...this.breakers].map(([name, breaker]) => [name, breaker.status()]);
  }
}
