/**
 * A PostgreSQL diff store that is down never touches shoppers: the real proxy starts and serves
 * with the database down, says so in /status (`diffStore`) and `strangler_diff_store_up 0`, keeps
 * the rows buffered, and writes them all, named by its replica, once the database is back (and
 * again after an outage while running). The
 * URL's password appears nowhere: not in the proxy's log, /status, /metrics, nor in the report.
 */
import fs from 'node:fs';
import path from 'node:path';
import { request } from '../../../scripts/testing/http-client';
import { startTestPostgres, type TestPostgres } from '../../../scripts/testing/postgres';
import { runCli, tempDir } from '../../../scripts/testing/processes';
import { startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';
import { until } from '../../../scripts/testing/wait';
import { openStore } from '../../store/open-store';

let pg: TestPostgres;
let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy | null = null;

beforeAll(async () => {
  pg = await startTestPostgres();
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  // Both sides answer alike: the comparisons match, so the report is within budget.
  for (const side of [legacy, svc]) side.handle((req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ url: req.url, price: 1299 })); });
}, 120_000);
afterAll(async () => {
  await proxy?.stop();
  await Promise.all([legacy?.close(), svc?.close()]);
  pg?.remove();
});

/**
 * What a store that is down or coming back can say, any of which a user may see: refused while
 * it is stopped; while it starts, PostgreSQL answers 57P03 ("the database system is starting
 * up" / "... not yet accepting connections"); a connection cut as it stops. Which one comes last
 * depends on when the retry lands, so the test accepts any connection-level failure.
 */
const CONNECTION_FAILURE = /ECONNREFUSED|ECONNRESET|EPIPE|Connection terminated|timeout|the database system is (starting up|not yet accepting connections|shutting down|in recovery mode)|terminating connection/i;

interface DiffStoreStatus { kind: string; location: string; open: boolean; ok: boolean; lastError: string | null; buffered: number; dropped: number }

async function diffStore(p: TestProxy): Promise<DiffStoreStatus> {
  return (await request({ port: p.adminPort, path: '/status' })).json<{ diffStore: DiffStoreStatus }>().diffStore;
}

async function storeUp(p: TestProxy): Promise<string | undefined> {
  return /^strangler_diff_store_up (\d)$/m.exec((await request({ port: p.adminPort, path: '/metrics' })).body)?.[1];
}

test('down at start: the proxy serves, buffers, reports it, and writes every row once PostgreSQL is back; the password is never shown', async () => {
  const redacted = `postgresql://strangler:***@127.0.0.1:${pg.port}/strangler`;
  pg.down();
  proxy = await startTestProxy(`version: 1
upstreams: { legacy: ${legacy.url}, svc: ${svc.url} }
routes:
  - name: product
    match: { path: /api/products/:id }
    extracted: svc
    percent: 0
    shadow: { percent: 100 }
`, { STRANGLER_DIFF_DB: pg.url, STRANGLER_REPLICA: 'replica-down-test' });

  // Shoppers are served at once, while the store is unreachable.
  for (let i = 0; i < 20; i++) {
    const res = await request({ port: proxy.port, path: `/api/products/${i}`, headers: { 'x-user-id': `u${i}` } });
    expect(res.status).toBe(200);
    expect(res.headers['x-strangler-backend']).toBe('legacy');
  }
  const down = await until('the rows buffered while PostgreSQL is down', async () => {
    const status = await diffStore(proxy!);
    return status.buffered === 20 && status.lastError !== null ? status : null;
  }, 15_000);
  expect(down).toMatchObject({ kind: 'postgres', location: redacted, open: true, ok: false, dropped: 0, lastError: expect.stringMatching(CONNECTION_FAILURE) });
  expect(await storeUp(proxy)).toBe('0');
  await until('a warn line saying the store is unreachable', () => proxy!.process.lines.some((l) => l.includes('diff store unreachable')), 5000);

  pg.up();
  const recovered = await until('the buffered rows written', async () => {
    const status = await diffStore(proxy!);
    return status.ok && status.buffered === 0 ? status : null;
  }, 20_000);
  expect(recovered).toMatchObject({ ok: true, dropped: 0, lastError: expect.stringMatching(CONNECTION_FAILURE) });
  expect(await storeUp(proxy)).toBe('1');
  await until('an info line saying the store is back', () => proxy!.process.lines.some((l) => l.includes('diff store reachable again')), 5000);

  const store = await openStore(pg.url, { readonly: true });
  try {
    expect(await store.replicas(0, Date.now() + 1)).toEqual([{ replica: 'replica-down-test', rows: 20, compared: 20 }]);
  } finally {
    await store.close();
  }

  // Down again while running (its pooled connections cut): the same, and nothing written twice.
  pg.down();
  for (let i = 0; i < 10; i++) expect((await request({ port: proxy.port, path: `/api/products/${i}`, headers: { 'x-user-id': `again${i}` } })).status).toBe(200);
  await until('the outage noticed', async () => { const s = await diffStore(proxy!); return !s.ok && s.buffered === 10; }, 15_000);
  pg.up();
  await until('the second backlog written', async () => { const s = await diffStore(proxy!); return s.ok && s.buffered === 0; }, 20_000);
  const again = await openStore(pg.url, { readonly: true });
  try {
    expect(await again.replicas(0, Date.now() + 1)).toEqual([{ replica: 'replica-down-test', rows: 30, compared: 30 }]);
  } finally {
    await again.close();
  }

  const out = path.join(tempDir('pgtest-report'), 'report');
  const report = await runCli(['report', '--db', pg.url, '--rules', proxy.rulesFile, '--out', out, '--json']);
  expect(report.code).toBe(0);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as { store: string; replicas: unknown[]; routes: Array<{ route: string; compared: number }> };
  expect(json.store).toBe(redacted);
  expect(json.routes.find((r) => r.route === 'product')?.compared).toBe(30);
  expect(json.replicas).toEqual([{ replica: 'replica-down-test', rows: 30, compared: 30 }]);

  // A wrong password through the CLI: a clear line, no password.
  const refused = await runCli(['report', '--db', pg.wrongPasswordUrl, '--rules', proxy.rulesFile, '--out', out]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(`postgresql://strangler:***@127.0.0.1:${pg.port}/strangler: password authentication failed`);

  const status = (await request({ port: proxy.adminPort, path: '/status' })).body;
  const metrics = (await request({ port: proxy.adminPort, path: '/metrics' })).body;
  await proxy.stop();
  const shown = [proxy.process.lines.join('\n'), status, metrics, report.stdout, report.stderr, refused.stdout, refused.stderr,
    ...['report.json', 'report.md', 'report.html'].map((f) => fs.readFileSync(path.join(out, f), 'utf8'))].join('\n');
  for (const secret of [pg.password, encodeURIComponent(pg.password), 'not-the-password']) expect(shown).not.toContain(secret);
  expect(shown).toContain(redacted);
  proxy = null;
}, 90_000);
