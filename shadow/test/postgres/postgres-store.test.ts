/**
 * The PostgreSQL store against a real server (a throwaway cluster, password logins over TCP): the
 * shared store suite (store-suite.ts), and what only a network database can get wrong: a wrong
 * password, a server that is down or answers slowly, two replicas migrating at once.
 */
import { startFaultProxy } from '../../../scripts/testing/fault-proxy';
import { startTestPostgres, type TestPostgres } from '../../../scripts/testing/postgres';
import { DiffStore } from '../../store/diff-store';
import { diff } from '../../../scripts/testing/evidence-seed';
import { openStore } from '../../store/open-store';
import { openPostgresStore } from '../../store/postgres-store';
import { SCHEMA_VERSION } from '../../store/schema';
import { storeSuite } from '../store-suite';

let pg: TestPostgres;
let databases = 0;

beforeAll(async () => { pg = await startTestPostgres(); }, 120_000);
afterAll(() => { pg?.remove(); });

const dbName = (url: string): string => new URL(url).pathname.slice(1);

storeSuite({
  kind: 'postgres',
  fresh: async () => pg.createDatabase(`suite_${++databases}`),
  setSchemaVersion: async (url, version) => { pg.sql(`UPDATE schema_version SET version = ${version}`, dbName(url)); },
  exec: async (url, sql) => { pg.sql(sql, dbName(url)); },
  tables: async (url) => pg.sql(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`, dbName(url)).trim().split('\n'),
});

describe('PostgreSQL that cannot be used: never the password in a message', () => {
  test('a wrong password is one clear line without the password; so is a server that is not there', async () => {
    const wrong = pg.wrongPasswordUrl;
    await expect(openStore(wrong)).rejects.toThrow(`cannot use the evidence store postgresql://strangler:***@127.0.0.1:${pg.port}/strangler: password authentication failed for user "strangler" (28P01)`);
    const refused = `postgresql://strangler:${encodeURIComponent(pg.password)}@127.0.0.1:1/strangler`;
    const error = await openStore(refused).catch((e: Error) => e);
    expect(String(error)).toMatch(/cannot use the evidence store postgresql:\/\/strangler:\*\*\*@127\.0\.0\.1:1\/strangler: .*ECONNREFUSED/);
    for (const shown of [String(error), String(await openStore(wrong).catch((e: Error) => e))]) {
      expect(shown).not.toContain(pg.password);
      expect(shown).not.toContain(encodeURIComponent(pg.password));
    }
  });

  test('a password given as a query parameter is redacted too', async () => {
    const url = `postgresql://strangler@127.0.0.1:${pg.port}/strangler?password=${encodeURIComponent('no-such-password')}`;
    const error = await openStore(url).catch((e: Error) => e);
    expect(String(error)).toContain('?password=***');
    expect(String(error)).not.toContain('no-such-password');
  });

  test('a writer on a wrong password keeps its rows buffered and says why in its status, redacted', async () => {
    const store = new DiffStore(pg.wrongPasswordUrl, { maxBuffered: 3, flushEveryMs: 1_000_000, retainMs: 86_400_000 }, 'r1');
    for (let i = 0; i < 5; i++) store.add(diff(Date.now(), 'r', 'match'));
    await store.flush();
    expect(store.status()).toMatchObject({
      kind: 'postgres', location: `postgresql://strangler:***@127.0.0.1:${pg.port}/strangler`, ok: false, buffered: 3, dropped: 2, failedFlushes: 1,
      lastError: expect.stringContaining('password authentication failed'),
    });
    expect(JSON.stringify(store.status())).not.toContain('not-the-password');
    await store.close();
  });
});

test('a server that answers slowly: the statement times out, the rows stay buffered, and go in once it answers again', async () => {
  const url = pg.createDatabase('slow');
  await (await openStore(url)).close();
  const fault = await startFaultProxy(pg.port);
  const through = url.replace(`:${pg.port}/`, `:${fault.port}/`);
  const store = new DiffStore(through, { maxBuffered: 1000, flushEveryMs: 1_000_000, retainMs: 86_400_000 }, 'slow-replica',
    (target) => openPostgresStore(target, {}, { connectMs: 1000, statementMs: 500 }));
  await store.open();
  fault.toxic = { kind: 'latency', ms: 2000 };
  for (let i = 0; i < 10; i++) store.add(diff(Date.now(), 'slow', 'match'));
  const started = Date.now();
  await store.flush();
  expect(Date.now() - started).toBeLessThan(5000);
  expect(store.status()).toMatchObject({ ok: false, buffered: 10, written: 0, lastError: expect.stringMatching(/timeout/i) });
  fault.toxic = { kind: 'none' };
  await store.flush();
  expect(store.status()).toMatchObject({ ok: true, buffered: 0, written: 10 });
  await store.close();
  await fault.close();
  const reader = await openStore(url, { readonly: true });
  expect(await reader.replicas(0, Date.now() + 1)).toEqual([{ replica: 'slow-replica', rows: 10, compared: 10 }]);
  await reader.close();
}, 60_000);

test('replicas starting together migrate once, one after the other', async () => {
  const url = pg.createDatabase('together');
  const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(url)));
  expect(stores.map((s) => s.schemaVersion)).toEqual([SCHEMA_VERSION, SCHEMA_VERSION, SCHEMA_VERSION, SCHEMA_VERSION]);
  expect(pg.sql('SELECT version FROM schema_version', 'together').trim()).toBe(String(SCHEMA_VERSION));
  expect(pg.sql('SELECT count(*) FROM schema_version', 'together').trim()).toBe('1');
  await Promise.all(stores.map((s) => s.close()));
});

test('a read-only open of a database the proxy never wrote says so', async () => {
  const url = pg.createDatabase('empty');
  await expect(openStore(url, { readonly: true })).rejects.toThrow(/it has no strangler tables yet/);
});
