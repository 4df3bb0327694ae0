import type { RateLimitConfig } from '../rules/types';

/** Keys remembered per route; past this the least recently seen key is forgotten (its bucket starts full again). */
export const MAX_KEYS_PER_ROUTE = 50_000;

/** A refusal: how long until one token is back (whole seconds, at least 1), for Retry-After and RateLimit. */
export interface RateRefusal { readonly retryAfterSeconds: number }

interface Bucket { tokens: number; at: number }

/**
 * Token buckets for one route, one per key, in a Map used as an LRU: a key seen again moves to
 * the end, and past `maxKeys` the oldest is dropped. Memory is bounded by maxKeys whatever the
 * number of shoppers, and each request costs a Map lookup, a delete and a set. Forgetting a key
 * that has not been seen for a while loses little: its bucket would have refilled anyway.
 * The clock (ms) is passed in.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(readonly config: RateLimitConfig, private readonly maxKeys = MAX_KEYS_PER_ROUTE) {}

  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token for `key`; null when it had one, else how long until it will. */
  take(key: string, now: number): RateRefusal | null {
    const { perSecond, burst } = this.config;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: burst, at: now };
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    } else {
      this.buckets.delete(key);
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
      bucket.at = now;
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return null;
    }
    return { retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)) };
  }
}
