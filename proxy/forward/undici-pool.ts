import type { Pool as PoolType } from 'undici';

/**
 * undici's Pool alone, not the package index: the index also loads fetch, WebSocket, caches and
 * mocks, about 8 MB of resident memory that forwarding never uses (measured: 58 → 50 MB at
 * start). Only `dispatch` is there: the index is what adds `request`, `stream` and the other API
 * methods to the prototype. The path is pinned by proxy/test/pools.test.ts.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
export const Pool = require('undici/lib/dispatcher/pool') as typeof PoolType;
export type Pool = PoolType;
