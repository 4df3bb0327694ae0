import type { Upstream } from '../rules/types';
import { Pool } from './undici-pool';

export interface PoolOptions {
  /** Connections per upstream, busy and idle together (`STRANGLER_MAX_SOCKETS`). */
  maxSockets: number;
  /**
   * The longest an idle connection is kept, below the shop's 5 s keep-alive, so we never reuse a
   * socket the upstream is about to close. An upstream's own `Keep-Alive: timeout=N` shortens it
   * further (undici keeps it 2 s under what the upstream announces).
   */
  idleTimeoutMs: number;
}

export const DEFAULT_POOL_OPTIONS: PoolOptions = { maxSockets: 256, idleTimeoutMs: 3000 };

/** Connections to one upstream, for /status and the soak's leak checks. */
export interface SocketCounts { busy: number; idle: number; queued: number }

/** One undici Pool per upstream origin, kept across rule reloads so pooled connections survive them. */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly options: PoolOptions = DEFAULT_POOL_OPTIONS) {}

  get(upstream: Upstream): Pool {
    let pool = this.pools.get(upstream.url);
    if (pool === undefined) {
      pool = new Pool(upstream.url, {
        connections: this.options.maxSockets,
        pipelining: 1,
        keepAliveTimeout: this.options.idleTimeoutMs,
        keepAliveMaxTimeout: this.options.idleTimeoutMs,
        // Our own deadline (forwarder.ts) covers the pool wait, connect and response headers; the
        // body may take as long as it needs while bytes keep arriving (5 minutes of silence ends it).
        headersTimeout: 0,
        bodyTimeout: 300_000,
        connectTimeout: 10_000,
      });
      this.pools.set(upstream.url, pool);
    }
    return pool;
  }

  socketCounts(): Record<string, SocketCounts> {
    const counts: Record<string, SocketCounts> = {};
    for (const [url, pool] of this.pools) {
      const stats = pool.stats;
      counts[url] = { busy: stats.connected - stats.free, idle: stats.free, queued: stats.pending };
    }
    return counts;
  }

  async destroy(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.destroy().catch(() => undefined)));
  }
}
