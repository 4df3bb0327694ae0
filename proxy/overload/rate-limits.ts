import type { IncomingHttpHeaders } from 'node:http';
import type { CompiledRoute, RateLimitConfig } from '../rules/types';
import { TokenBuckets, type RateRefusal } from './token-buckets';

/** The answer to a request over its route's rate: 429 with these headers. */
export interface RateLimited extends RateRefusal {
  /** Header name, value pairs: Retry-After, RateLimit-Policy and RateLimit (IETF httpapi draft). */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Every route's token buckets, per proxy process (with workers, each holds its own). A route's
 * buckets are kept across reloads while its rate_limit is unchanged, and started afresh when it
 * changes or the route goes away.
 */
export class RateLimits {
  private readonly routes = new Map<string, TokenBuckets>();

  /** null: the request may go on; else the refusal to send. */
  check(route: CompiledRoute, identity: string | null, remoteAddress: string | undefined, headers: IncomingHttpHeaders, now: number): RateLimited | null {
    const config = route.rateLimit!;
    let buckets = this.routes.get(route.name);
    if (buckets === undefined || !sameLimit(buckets.config, config)) {
      buckets = new TokenBuckets(config);
      this.routes.set(route.name, buckets);
    }
    const refusal = buckets.take(keyOf(config, identity, remoteAddress, headers), now);
    if (refusal === null) return null;
    const policy = `"${route.name}";q=${config.quota};w=${config.windowSeconds}`;
    return {
      retryAfterSeconds: refusal.retryAfterSeconds,
      headers: {
        'retry-after': String(refusal.retryAfterSeconds),
        'ratelimit-policy': policy,
        'ratelimit': `"${route.name}";r=0;t=${refusal.retryAfterSeconds}`,
      },
    };
  }

  /** Keys remembered now, per route (for /status). */
  sizes(): Record<string, number> {
    return Object.fromEntries([...this.routes].map(([name, b]) => [name, b.size]));
  }

  /** Drops the buckets of routes the new rules no longer have. */
  retain(routeNames: ReadonlySet<string>): void {
    for (const name of this.routes.keys()) if (!routeNames.has(name)) this.routes.delete(name);
  }
}

/**
 * The bucket key. A request with no identity (none can happen with sticky_by, as the proxy issues
 * one) or without the header shares one bucket per route: the empty key.
 */
function keyOf(config: RateLimitConfig, identity: string | null, remoteAddress: string | undefined, headers: IncomingHttpHeaders): string {
  if (config.by === 'identity') return identity ?? '';
  if (config.by === 'ip') return remoteAddress ?? '';
  const value = headers[config.header!];
  return value === undefined ? '' : Array.isArray(value) ? value[0] : value;
}

function sameLimit(a: RateLimitConfig, b: RateLimitConfig): boolean {
  return a.by === b.by && a.header === b.header && a.perSecond === b.perSecond && a.burst === b.burst;
}
