import type { CompiledRoute } from '../rules/types';
import type { WebSocketRelay } from './relay';

export type WebSocketBackend = 'legacy' | 'extracted';

/** True when a rule table has a route that proxies WebSocket handshakes. */
export function hasWebSocketRoutes(routes: readonly CompiledRoute[]): boolean {
  return routes.some((route) => route.websocket);
}

/**
 * The proxy's side of WebSocket routes. http-proxy (in ./relay) is loaded when the first rules
 * with a `websocket: true` route become active, at start or on a reload: a proxy whose routes are
 * all HTTP never loads it, and the HTTP path never touches it.
 */
export class WebSocketSide {
  private relay: WebSocketRelay | null = null;
  private loading: Promise<WebSocketRelay> | null = null;
  private stopping = false;
  /** Open tunnels per route and backend, for the gauge and /status. */
  private readonly open = new Map<string, Record<WebSocketBackend, number>>();

  /** Loads the relay once; later calls get the same one. */
  ensureLoaded(): Promise<WebSocketRelay> {
    this.loading ??= import('./relay').then(({ WebSocketRelay: Relay }) => (this.relay = new Relay()), (error: Error) => {
      this.loading = null; // the next handshake or reload tries again
      throw error;
    });
    return this.loading;
  }

  /** The relay when it is loaded, else null (a handshake then waits for ensureLoaded). */
  current(): WebSocketRelay | null {
    return this.relay;
  }

  /** True once shutdown began: new handshakes are refused. */
  get closing(): boolean {
    return this.stopping;
  }

  opened(route: string, backend: WebSocketBackend): void {
    let counts = this.open.get(route);
    if (counts === undefined) { counts = { legacy: 0, extracted: 0 }; this.open.set(route, counts); }
    counts[backend]++;
  }

  closed(route: string, backend: WebSocketBackend): void {
    const counts = this.open.get(route);
    if (counts !== undefined) counts[backend]--;
  }

  /** [route, backend, open] for every route that has had a tunnel. */
  openCounts(): Array<[string, WebSocketBackend, number]> {
    return [...this.open].flatMap(([route, counts]) => [[route, 'legacy', counts.legacy], [route, 'extracted', counts.extracted]] as Array<[string, WebSocketBackend, number]>);
  }

  /** What /status shows: open tunnels in all and per route. */
  status(): { open: number; routes: Record<string, Record<WebSocketBackend, number>> } {
    let total = 0;
    const routes: Record<string, Record<WebSocketBackend, number>> = {};
    for (const [route, counts] of this.open) {
      total += counts.legacy + counts.extracted;
      routes[route] = { ...counts };
    }
    return { open: total, routes };
  }

  /** Shutdown: every open tunnel gets close code 1001; resolves when they are all gone. */
  async goingAway(): Promise<void> {
    this.stopping = true;
    // Still loading: no tunnel can exist yet.
    if (this.relay !== null) await this.relay.goingAway();
  }
}
