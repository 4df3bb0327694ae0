import { TokenBuckets } from '../../overload/token-buckets';
import { rateLimitOf } from '../../rules/compile';

const limit = (rate: string, burst?: number) => rateLimitOf({ rate, burst })!;

describe('token buckets per key', () => {
  test('a key gets its burst at once, then one request per 1/rate seconds; Retry-After is the wait for the next token', () => {
    const buckets = new TokenBuckets(limit('2/s', 3));
    for (let i = 0; i < 3; i++) expect(buckets.take('a', 0)).toBeNull();
    expect(buckets.take('a', 0)).toEqual({ retryAfterSeconds: 1 });
    expect(buckets.take('a', 400)).toEqual({ retryAfterSeconds: 1 }); // 0.8 of a token
    expect(buckets.take('a', 500)).toBeNull(); // 1.0
    expect(buckets.take('a', 500)).not.toBeNull();
    // Another key is untouched.
    expect(buckets.take('b', 500)).toBeNull();
  });

  test('a slow rate says how many whole seconds to wait', () => {
    const buckets = new TokenBuckets(limit('6/m', 1));
    expect(buckets.take('a', 0)).toBeNull();
    expect(buckets.take('a', 0)).toEqual({ retryAfterSeconds: 10 });
    expect(buckets.take('a', 4000)).toEqual({ retryAfterSeconds: 6 });
  });

  test('a bucket refills to its burst, never past it', () => {
    const buckets = new TokenBuckets(limit('10/s', 2));
    expect(buckets.take('a', 0)).toBeNull();
    for (let i = 0; i < 2; i++) expect(buckets.take('a', 60_000)).toBeNull();
    expect(buckets.take('a', 60_000)).not.toBeNull();
  });

  test('memory is bounded: past max keys the least recently seen key is forgotten, the busy ones are kept', () => {
    const buckets = new TokenBuckets(limit('1/m', 1), 1000);
    expect(buckets.take('busy', 0)).toBeNull();
    for (let i = 0; i < 100_000; i++) {
      buckets.take(`shopper-${i}`, 0);
      if (i % 500 === 0) expect(buckets.take('busy', 0)).not.toBeNull(); // seen again: kept, and still empty
    }
    expect(buckets.size).toBe(1000);
    // A forgotten key starts with a full bucket again.
    expect(buckets.take('shopper-0', 0)).toBeNull();
  });
});
