import murmurHash3 from 'murmurhash3js';

/**
 * A shopper as the conversion guard stores them: a 53-bit hash of the sticky identity (two
 * murmur3 hashes with different seeds), exact in a JavaScript number and a SQL bigint. No identity
 * leaves the proxy. At a million shoppers a route, two share a key with odds of about 1 in 10^4
 * (birthday bound n²/2^54), which moves a rate by nothing measurable.
 */
export function shopperKey(identity: string): number {
  const high = murmurHash3.x86.hash32(identity, 0x5eed) >>> 11; // 21 bits
  const low = murmurHash3.x86.hash32(identity, 0x0b5e) >>> 0; // 32 bits
  return high * 2 ** 32 + low;
}
