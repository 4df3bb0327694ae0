/**
 * The writer in front of either store (diff-store.ts), on a store that fails when told to: rows
 * stay buffered and are retried, counters of a failed flush are not lost or doubled, the buffer is
 * bounded, a refused batch is dropped and counted, and the status never shows the password.
 */
import { diff, traffic } from '../../scripts/testing/evidence-seed';
import { DiffStore, isPoisonBatch } from '../store/diff-store';
import type { Store, WriteBatch } from '../store/store';

const URL_WITH_PASSWORD = 'postgres://strangler:hunter2%21@db.internal:5432/strangler';

/** A store that records what it is given and fails while `failing` says why. */
function fakeStore(): { store: Store; batches: WriteBatch[]; failing: Error | null; connects: number; connectFailing: Error | null } {
  const state = {
    batches: [] as WriteBatch[], failing: null as Error | null, connects: 0, connectFailing: null as Error | null,
    store: {
      kind: 'postgres', location: 'postgres://strangler:***@db.internal:5432/strangler', schemaVersion: 3,
      write: async (batch: WriteBatch) => {
        if (state.failing) throw state.failing;
        state.batches.push(batch);
      },
      prune: async () => 0,
      lastVerdicts: async () => [],
      close: async () => undefined,
    } as unknown as Store,
  };
  return state;
}

function writer(state: ReturnType<typeof fakeStore>, maxBuffered = 100): DiffStore {
  return new DiffStore(URL_WITH_PASSWORD, { maxBuffered, flushEveryMs: 1_000_000, retainMs: 86_400_000 }, 'host:1', async () => {
    state.connects++;
    if (state.connectFailing) throw state.connectFailing;
    return state.store;
  });
}

test('a store that cannot be reached: rows stay buffered (bounded, the rest dropped and counted) and are all written once it answers', async () => {
  const state = fakeStore();
  state.connectFailing = new Error(`connect ECONNREFUSED 10.0.0.5:5432 (while reaching ${URL_WITH_PASSWORD})`);
  const store = writer(state, 5);
  expect(store.status()).toMatchObject({ kind: 'postgres', location: 'postgres://strangler:***@db.internal:5432/strangler', ok: false, lastError: null });
  for (let i = 0; i < 7; i++) store.add(diff(i, 'r', 'match'));
  await store.flush();
  expect(store.status()).toMatchObject({ ok: false, buffered: 5, dropped: 2, written: 0, failedFlushes: 1 });
  expect(store.status().lastError).toBe('connect ECONNREFUSED 10.0.0.5:5432 (while reaching postgres://strangler:***@db.internal:5432/strangler)');
  expect(JSON.stringify(store.status())).not.toMatch(/hunter2/);
  state.connectFailing = null;
  await store.flush();
  expect(store.status()).toMatchObject({ ok: true, buffered: 0, dropped: 2, written: 5 });
  expect(state.batches.map((b) => [b.replica, b.rows.map((r) => r.at)])).toEqual([['host:1', [0, 1, 2, 3, 4]]]);
  // Kept after the recovery, so an operator can read what happened.
  expect(store.lastError).toMatch(/ECONNREFUSED/);
  await store.close();
});

test('counters of a failed flush are written once, summed with what was counted meanwhile', async () => {
  const state = fakeStore();
  const store = writer(state);
  await store.open();
  state.failing = Object.assign(new Error('Connection terminated unexpectedly'), { code: undefined });
  store.count('r', 0, 'sampled');
  store.addTraffic([traffic(0, 'r', 'extracted', 3, 1, 5)]);
  await store.flush();
  expect(store.status()).toMatchObject({ ok: false, failedFlushes: 1 });
  store.count('r', 10, 'sampled');
  store.addTraffic([traffic(10, 'r', 'extracted', 2, 0, 5)]);
  state.failing = null;
  await store.flush();
  expect(state.batches).toHaveLength(1);
  expect(state.batches[0].stats).toEqual([{ minute: 0, route: 'r', sampled: 2, dropped: 0, errors: 0 }]);
  expect(state.batches[0].traffic).toMatchObject([{ minute: 0, route: 'r', backend: 'extracted', requests: 5, failures: 1 }]);
  await store.flush();
  expect(state.batches).toHaveLength(1); // nothing left to write
  await store.close();
});

test('rows the store cannot take at shutdown are counted as dropped, not silently lost', async () => {
  const state = fakeStore();
  const store = writer(state);
  await store.open();
  state.failing = new Error('the database system is shutting down');
  store.add(diff(0, 'r', 'match'));
  await store.close();
  expect(store.status()).toMatchObject({ buffered: 0, dropped: 1, written: 0 });
});

test('one flush at a time: a flush asked for during another waits for it', async () => {
  const state = fakeStore();
  const store = writer(state);
  await store.open();
  store.add(diff(0, 'r', 'match'));
  const first = store.flush();
  expect(store.flush()).toBe(first);
  await first;
  expect(state.batches).toHaveLength(1);
  await store.close();
});

test('what counts as a batch no retry can cure', () => {
  expect(isPoisonBatch({ code: '23514' })).toBe(true); // check_violation
  expect(isPoisonBatch({ code: '22P02' })).toBe(true); // invalid_text_representation
  expect(isPoisonBatch({ code: 'SQLITE_CONSTRAINT_CHECK' })).toBe(true);
  expect(isPoisonBatch({ code: '28P01' })).toBe(false); // wrong password: fix it and the rows go in
  expect(isPoisonBatch({ code: '57P01' })).toBe(false); // admin shutdown
  expect(isPoisonBatch({ code: 'SQLITE_BUSY' })).toBe(false);
  expect(isPoisonBatch({ code: 'ECONNREFUSED' })).toBe(false);
  expect(isPoisonBatch(new Error('no code'))).toBe(false);
});
