/**
 * The shadow worker with real things: two real HTTP sides on 127.0.0.1, a real SQLite file, a
 * real worker thread (the compiled one under dist/: `npm test` builds first).
 */
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../scripts/testing/processes';
import { until } from '../../scripts/testing/wait';
import type { ShadowOutcome } from '../mirror';
import { ShadowWorker } from '../worker/shadow-worker';
import { answer, catalogue, job, options, PRODUCT, storedRows, storedStats, twoSidesPerTest } from './worker-fixtures';

const sides = twoSidesPerTest();

test('a matching and a mismatching job become rows with their outcome, and the outcomes come back to the main thread', async () => {
  const seen: Array<[string, ShadowOutcome, number]> = [];
  const opts = options({ onOutcome: (route, outcome, count) => seen.push([route, outcome, count]) });
  const shadow = await ShadowWorker.start(opts);
  try {
    answer(sides.legacy, PRODUCT);
    answer(sides.extracted, (url) => (url.startsWith('/same') ? PRODUCT : JSON.stringify({ id: 7, name: 'Mug', price: 1300 })));
    expect(shadow.offer(job(sides, 'same', Buffer.from(PRODUCT), '/same/7'))).toBe(true);
    expect(shadow.offer(job(sides, 'differs', Buffer.from(PRODUCT), '/differs/7'))).toBe(true);
    await until('both outcomes on the main thread', () => shadow.outcomeCount('same', 'match') === 1 && shadow.outcomeCount('differs', 'mismatch') === 1);
    expect(seen).toEqual(expect.arrayContaining([['same', 'match', 1], ['differs', 'mismatch', 1]]));
    await until('both rows written', () => shadow.writtenRows === 2);
    expect(shadow.busy()).toBe(0);
  } finally {
    await shadow.stop(1000);
  }
  const rows = storedRows(opts.diffDb);
  expect(rows.map((r) => [r.route, r.outcome, r.paths])).toEqual([['same', 'match', []], ['differs', 'mismatch', ['body.price']]]);
  expect(rows[1].extracted_sample).toContain('1300');
  expect(storedStats(opts.diffDb, 'same')).toEqual({ sampled: 1, dropped: 0, errors: 0 });
});

test('a 200 KB body is moved to the worker, not copied, and compared there; a small pooled Buffer is copied and left intact', async () => {
  const opts = options();
  const shadow = await ShadowWorker.start(opts);
  try {
    const served = catalogue(1000);
    answer(sides.legacy, served);
    answer(sides.extracted, (url) => (url === '/big' ? catalogue(1000, { 1234: 1 }) : PRODUCT));
    const big = Buffer.from(served);
    expect(big.length).toBeGreaterThan(190_000);
    // The precondition for a transfer: this Buffer is the whole of its ArrayBuffer.
    expect([big.byteOffset, big.buffer.byteLength]).toEqual([0, big.length]);
    expect(shadow.offer(job(sides, 'big', big, '/big'))).toBe(true);
    // Jobs are posted in batches a few ms apart; the Buffer is moved when its batch goes.
    await until('the batch to be posted', () => big.byteLength === 0, 2000);
    expect(big.byteLength).toBe(0);
    expect(big.buffer.byteLength).toBe(0); // detached: the bytes now belong to the worker

    const small = Buffer.from(PRODUCT);
    const neighbour = Buffer.from('on the same pool slab');
    expect(small.buffer).toBe(neighbour.buffer); // Node's 8 KB pool
    expect(shadow.offer(job(sides, 'small', small, '/small'))).toBe(true);
    expect(small.toString()).toBe(PRODUCT);
    expect(neighbour.toString()).toBe('on the same pool slab');

    await until('both compared', () => shadow.outcomeCount('big', 'mismatch') === 1 && shadow.outcomeCount('small', 'match') === 1);
  } finally {
    await shadow.stop(1000);
  }
  expect(storedRows(opts.diffDb).find((r) => r.route === 'big')?.paths).toEqual(['body.items[1234].price']);
});

test('beyond maxInFlight jobs are dropped and counted, here and in the store', async () => {
  const opts = options({ maxInFlight: 2 });
  const shadow = await ShadowWorker.start(opts);
  try {
    answer(sides.legacy, PRODUCT, 300);
    answer(sides.extracted, PRODUCT, 300);
    const offered = Array.from({ length: 5 }, () => shadow.offer(job(sides, 'busy', Buffer.from(PRODUCT))));
    expect(offered).toEqual([true, true, false, false, false]);
    expect(shadow.busy()).toBe(2);
    expect(shadow.outcomeCount('busy', 'dropped')).toBe(3);
    await until('the two accepted jobs to finish', () => shadow.outcomeCount('busy', 'match') === 2 && shadow.busy() === 0);
    // Room again once they are done.
    expect(shadow.offer(job(sides, 'busy', Buffer.from(PRODUCT)))).toBe(true);
  } finally {
    await shadow.stop(2000);
  }
  expect(storedRows(opts.diffDb).filter((r) => r.route === 'busy')).toHaveLength(3);
  expect(storedStats(opts.diffDb, 'busy')).toEqual({ sampled: 6, dropped: 3, errors: 0 });
});

test('stop() lets a mirror in flight against a slow side finish and stores its row', async () => {
  const opts = options();
  const shadow = await ShadowWorker.start(opts);
  answer(sides.legacy, PRODUCT);
  answer(sides.extracted, PRODUCT, 300);
  expect(shadow.offer(job(sides, 'slow', Buffer.from(PRODUCT)))).toBe(true);
  const started = Date.now();
  await shadow.stop(3000);
  expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  expect(shadow.outcomeCount('slow', 'match')).toBe(1);
  expect(storedRows(opts.diffDb).map((r) => [r.route, r.outcome])).toEqual([['slow', 'match']]);
  // Once stopped, offers are dropped, never thrown at the caller.
  expect(shadow.offer(job(sides, 'slow', Buffer.from(PRODUCT)))).toBe(false);
});

test('start() rejects with the worker\'s reason when the store cannot be opened', async () => {
  const notADir = path.join(tempDir('shadow-worker'), 'a-file');
  fs.writeFileSync(notADir, 'x');
  await expect(ShadowWorker.start(options({ diffDb: path.join(notADir, 'diffs.sqlite') }))).rejects.toThrow(/EEXIST|ENOTDIR|not a directory|unable to open/i);
});
