import murmurHash3 from 'murmurhash3js';

/**
 * Unleash's flexibleRollout normalisation, with the same murmurhash3js unleash-client uses:
 * bucket = murmur3_x86_32("<group>:<identity>", seed 0) % 100 + 1, in 1..100. A route can move
 * between a YAML percent and an Unleash flag without reshuffling shoppers.
 */
export function bucketOf(group: string, identity: string): number {
  return (murmurHash3.x86.hash32(`${group}:${identity}`, 0) % 100) + 1;
}

/** Extracted when percent > 0 and the bucket is at or under the line. */
export function inRollout(bucket: number, percent: number): boolean {
  return percent > 0 && bucket <= percent;
}
