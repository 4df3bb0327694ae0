/** Shared by the shadow worker tests: jobs, answering sides, and reading the diff store back. */
import Database from 'better-sqlite3';
import path from 'node:path';
import { tempDir } from '../../scripts/testing/processes';
import { startUpstream, type TestUpstream } from '../../scripts/testing/upstreams';
import { DAY_MS } from '../store/diff-store';
import type { CapturedShadowJob, ShadowWorkerOptions } from '../worker/shadow-worker';

export const JSON_TYPE = { 'content-type': 'application/json' };

export const PRODUCT = JSON.stringify({ id: 7, name: 'Mug', price: 1299 });

/** Two real HTTP sides on 127.0.0.1, new for each test of the file that calls this (and closed after it). */
export function twoSidesPerTest(): { legacy: TestUpstream; extracted: TestUpstream } {
  const sides = {} as { legacy: TestUpstream; extracted: TestUpstream };
  beforeEach(async () => {
    sides.legacy = await startUpstream('legacy');
    sides.extracted = await startUpstream('extracted');
  });
  afterEach(async () => {
    await Promise.all([sides.legacy.close(), sides.extracted.close()]);
  });
  return sides;
}

/** About 200 KB of JSON: a catalogue whose every price is `base + index`, except where `changed` says. */
export function catalogue(base: number, changed: Record<number, number> = {}): string {
  const items = Array.from({ length: 2300 }, (_, i) => ({ id: i, name: `Product number ${i}`, price: changed[i] ?? base + i, tags: ['kitchen', 'mugs'], stock: i % 7 }));
  return JSON.stringify({ items });
}

/** A read served by legacy with `served` as its body; the worker asks `extracted` (and legacy again on a difference). */
export function job(sides: { legacy: TestUpstream; extracted: TestUpstream }, route: string, served: Buffer, target = '/api/products/7'): CapturedShadowJob {
  return {
    at: Date.now(), route, config: { ignore: [], arrayKeys: {}, normalisers: [] },
    legacyOrigin: sides.legacy.url, extractedOrigin: sides.extracted.url, method: 'GET', target,
    headers: { accept: 'application/json', 'x-user-id': 'u1' }, body: null, servedBy: 'legacy',
    served: { status: 200, headers: { ...JSON_TYPE }, body: served, truncated: false, ms: 2 }, source: 'live',
  };
}

/** Makes `side` answer every request with `body` after `delayMs`. */
export function answer(side: TestUpstream, body: string | ((url: string) => string), delayMs = 0): void {
  side.handle((req, res) => {
    const payload = typeof body === 'string' ? body : body(req.url ?? '/');
    setTimeout(() => { res.writeHead(200, { ...JSON_TYPE, 'content-length': Buffer.byteLength(payload) }); res.end(payload); }, delayMs);
  });
}

export function options(overrides: Partial<ShadowWorkerOptions> = {}): ShadowWorkerOptions {
  return {
    diffDb: path.join(tempDir('shadow-worker'), 'diffs.sqlite'), storeOptions: { maxBuffered: 10_000, flushEveryMs: 50, retainMs: DAY_MS },
    shadowTimeoutMs: 3000, captureBytes: 512 * 1024, maxInFlight: 32, ...overrides,
  };
}

export interface StoredRow { route: string; outcome: string; target: string; paths: string[]; extracted_sample: string | null }

export function storedRows(file: string): StoredRow[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT route, outcome, target, paths, extracted_sample FROM diffs ORDER BY id').all() as Array<StoredRow & { paths: string }>)
      .map((r) => ({ ...r, paths: JSON.parse(r.paths) as string[] }));
  } finally {
    db.close();
  }
}

export function storedStats(file: string, route: string): { sampled: number; dropped: number; errors: number } {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT COALESCE(SUM(sampled), 0) AS sampled, COALESCE(SUM(dropped), 0) AS dropped, COALESCE(SUM(errors), 0) AS errors FROM shadow_stats WHERE route = ?')
      .get(route) as { sampled: number; dropped: number; errors: number };
  } finally {
    db.close();
  }
}
