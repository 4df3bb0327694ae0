/**
 * The shadow worker when things go wrong or get heavy: a worker that dies is replaced (jobs are
 * dropped and counted meanwhile), and comparing big bodies never stalls the main thread.
 */
import { until } from '../../scripts/testing/wait';
import * as compareModule from '../compare/compare';
import * as decodeModule from '../decode-answer';
import { ShadowWorker } from '../worker/shadow-worker';
import { answer, catalogue, job, options, PRODUCT, storedRows, storedStats, twoSidesPerTest } from './worker-fixtures';

const sides = twoSidesPerTest();

test('a worker that dies is replaced: jobs in flight count as errors, jobs meanwhile are dropped and counted, later ones are compared', async () => {
  const errors: Error[] = [];
  const opts = options({ onError: (error) => errors.push(error) });
  const shadow = await ShadowWorker.start(opts);
  try {
    answer(sides.legacy, PRODUCT);
    answer(sides.extracted, PRODUCT);
    expect(shadow.offer(job(sides, 'r', Buffer.from(PRODUCT)))).toBe(true);
    await until('the first compare', () => shadow.outcomeCount('r', 'match') === 1 && shadow.writtenRows === 1);

    answer(sides.extracted, PRODUCT, 2000);
    expect(shadow.offer(job(sides, 'r', Buffer.from(PRODUCT), '/slow'))).toBe(true); // still waiting when the worker dies
    await shadow.crashForTest();
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(/exited with code/);
    expect(shadow.running).toBe(false);
    expect(shadow.busy()).toBe(0);
    expect(shadow.outcomeCount('r', 'error')).toBe(1);
    expect(shadow.offer(job(sides, 'r', Buffer.from(PRODUCT)))).toBe(false);
    expect(shadow.outcomeCount('r', 'dropped')).toBe(1);

    await until('a new worker', () => shadow.running, 3000);
    expect(shadow.restarts).toBe(1);
    answer(sides.extracted, PRODUCT);
    expect(shadow.offer(job(sides, 'r', Buffer.from(PRODUCT)))).toBe(true);
    await until('a compare by the new worker', () => shadow.outcomeCount('r', 'match') === 2);
    // Counters carry over the dead worker's.
    await until('its row', () => shadow.writtenRows === 2);
  } finally {
    await shadow.stop(1000);
  }
  expect(errors).toHaveLength(1);
  expect(storedRows(opts.diffDb).map((r) => r.outcome)).toEqual(['match', 'match']);
  // The drop and the lost job, counted on the main thread while no worker ran, reached the new worker's store.
  expect(storedStats(opts.diffDb, 'r')).toMatchObject({ dropped: 1, errors: 1 });
});

test('comparing twenty 200 KB answers does not block the main thread', async () => {
  const opts = options();
  const shadow = await ShadowWorker.start(opts);
  try {
    const served = catalogue(1000);
    // Every price differs: the heaviest compare (parse both, diff every item, ask legacy again, parse that too).
    answer(sides.legacy, served);
    answer(sides.extracted, catalogue(5000));
    const bodies = Array.from({ length: 20 }, () => Buffer.from(served));
    // Not a timing bound (a loaded machine stalls any thread): no comparison or decode runs on this
    // thread, and this thread's timers kept firing between the comparisons' outcomes.
    const judged = jest.spyOn(compareModule, 'judge');
    const decoded = jest.spyOn(decodeModule, 'decodeAnswer');
    let ticks = 0;
    let ticksAtFirstOutcome: number | null = null;
    const timer = setInterval(() => { ticks++; }, 1);
    try {
      for (const body of bodies) expect(shadow.offer(job(sides, 'heavy', body))).toBe(true);
      await until('all twenty compared', () => {
        const done = shadow.outcomeCount('heavy', 'mismatch');
        if (done > 0) ticksAtFirstOutcome ??= ticks;
        return done === 20;
      }, 20000);
    } finally {
      clearInterval(timer);
      judged.mockRestore();
      decoded.mockRestore();
    }
    expect(judged).not.toHaveBeenCalled();
    expect(decoded).not.toHaveBeenCalled();
    // This thread's timer ran while the comparisons were going on, before any outcome came back.
    expect(ticksAtFirstOutcome).toBeGreaterThan(0);
  } finally {
    await shadow.stop(1000);
  }
  const rows = storedRows(opts.diffDb);
  expect(rows).toHaveLength(20);
  expect(rows[0].paths).toHaveLength(2300);
});
