import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { request } from '../../../scripts/testing/http-client';
import { runCli, tempDir } from '../../../scripts/testing/processes';
import { until } from '../../../scripts/testing/wait';
import { startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';

const SECRETS = ['SECRET-TOKEN-123', 'SECRET-AUTH-456', 'SECRET-COOKIE-789', 'ada.lovelace@example.com', '4242424242424242', '4242 4242 4242 4242', 'hunter2-password', '"cvc":"987"'];

let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;

/** Both sides answer the same product, except extracted's price; `nonce` is random on every answer. */
function product(side: 'legacy' | 'svc') {
  return (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, body: string): void => {
    const payload = JSON.stringify({
      id: 7, name: 'Mug', price: side === 'legacy' ? 1299 : 1300, nonce: crypto.randomUUID(), generatedAt: new Date().toISOString(),
      echo: req.method === 'POST' ? JSON.parse(body || '{}') : null, dryRun: req.headers['x-strangler-shadow'] === '1',
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  };
}

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  legacy.handle(product('legacy'));
  svc.handle(product('svc'));
  proxy = await startTestProxy(`version: 1
upstreams:
  legacy: ${legacy.url}
  svc: ${svc.url}
routes:
  - name: product
    match: { path: /api/products/:id }
    extracted: svc
    percent: 0
    shadow: { percent: 100, ignore: [body.generatedAt, body.dryRun], budget: 0.01 }
  - name: product-served-by-extracted
    match: { path: /api/v2/products/:id }
    extracted: svc
    percent: 100
    shadow: { percent: 100, ignore: [body.generatedAt, body.dryRun], budget: 0.5 }
`);
}, 20000);
afterAll(async () => {
  await proxy.stop();
  await Promise.all([legacy.close(), svc.close()]);
});

test('mirrors, cancels noise, stores redacted rows; the report names exactly the differing field and exits 1 over budget', async () => {
  const shopperBodies: string[] = [];
  for (let i = 0; i < 20; i++) {
    const res = await request({
      port: proxy.port, path: `/api/products/7?token=SECRET-TOKEN-123&email=ada.lovelace%40example.com&q=${i}`,
      headers: { 'x-user-id': `u${i}`, authorization: 'Bearer SECRET-AUTH-456', cookie: 'sid=SECRET-COOKIE-789' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-strangler-backend']).toBe('legacy');
    shopperBodies.push(res.body);
  }
  for (let i = 0; i < 10; i++) await request({ port: proxy.port, path: '/api/v2/products/7', headers: { 'x-user-id': `v${i}` } });
  // A write: mirrored only to extracted, as a dry run, never to legacy.
  const write = await request({
    port: proxy.port, path: '/api/products/7', method: 'POST', headers: { 'content-type': 'application/json', 'x-user-id': 'w' },
    body: JSON.stringify({ email: 'ada.lovelace@example.com', password: 'hunter2-password', card: { number: '4242 4242 4242 4242', cvc: '987' } }),
  });
  expect(write.status).toBe(200);
  // Shoppers get legacy's bytes, untouched by the tee.
  expect(JSON.parse(shopperBodies[0])).toMatchObject({ price: 1299, id: 7 });

  await until('the mirrored requests to arrive', () => svc.seen.filter((s) => s.method === 'POST').length === 1 && svc.seen.length >= 31 && legacy.seen.length >= 61);
  expect(svc.seen.find((s) => s.method === 'POST')!.headers['x-strangler-shadow']).toBe('1');
  expect(legacy.seen.filter((s) => s.method === 'POST')).toHaveLength(1); // the shopper's own, never a mirror

  // Comparing happens on the shadow worker thread, which reports its outcomes in batches (~100 ms).
  const metrics = async (): Promise<string> => (await request({ port: proxy.adminPort, path: '/metrics' })).body;
  await until('the comparisons to be counted', async () => /strangler_mismatches_total\{route="product"\} 21\n/.test(await metrics()));
  expect(await metrics()).toMatch(/strangler_mismatches_total\{route="product"\} 21\n/);
  // The SQLite store's health, in the same shape a PostgreSQL one has.
  await until('the store to have taken every row', async () => (await request({ port: proxy.adminPort, path: '/status' })).json<{ diffStore: { buffered: number } }>().diffStore.buffered === 0);
  expect((await request({ port: proxy.adminPort, path: '/status' })).json().diffStore).toEqual({
    kind: 'sqlite', location: proxy.diffDb, open: true, ok: true, lastError: null, lastErrorAt: null, buffered: 0, dropped: 0,
  });
  expect(await metrics()).toMatch(/^strangler_diff_store_up 1$/m);
  await proxy.stop(); // flushes the diff store

  const db = new Database(proxy.diffDb, { readonly: true });
  const rows = db.prepare("SELECT paths, noise, served_by FROM diffs WHERE route = 'product' AND method = 'GET'").all() as Array<{ paths: string; noise: string; served_by: string }>;
  expect(rows).toHaveLength(20);
  // Every differing path is stored, and where legacy disagreed with itself: the nonce is noise, the price is not.
  expect(rows.every((r) => r.paths === '["body.price","body.nonce"]' && r.noise === '["body.nonce"]' && r.served_by === 'legacy')).toBe(true);
  const reversed = db.prepare("SELECT paths, noise, served_by FROM diffs WHERE route = 'product-served-by-extracted'").all() as Array<{ paths: string; noise: string; served_by: string }>;
  expect(reversed).toHaveLength(10);
  expect(reversed.every((r) => r.paths === '["body.price","body.nonce"]' && r.noise === '["body.nonce"]' && r.served_by === 'extracted')).toBe(true);
  db.close();

  const out = tempDir('report');
  const report = await runCli(['report', '--db', proxy.diffDb, '--rules', proxy.rulesFile, '--out', out]);
  expect(report.code).toBe(1);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  const route = json.routes.find((r: { route: string }) => r.route === 'product');
  expect(route).toMatchObject({ compared: 21, mismatches: 21, mismatchRate: 1, budget: 0.01, overBudget: true });
  expect(route.topPaths.map((p: { path: string }) => p.path)).toEqual(['body.price']);
  expect(route.latency.legacy.p50).toEqual(expect.any(Number));
  expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toContain('| `body.price` | 21 |');
  expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('<svg');

  // No secret that was sent is anywhere in the store (main file and WAL) or the report.
  const stored = [proxy.diffDb, `${proxy.diffDb}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f).toString('latin1')).join('')
    + ['report.json', 'report.md', 'report.html'].map((f) => fs.readFileSync(path.join(out, f), 'utf8')).join('');
  for (const secret of SECRETS) expect(stored).not.toContain(secret);

  // Replay sends the captured reads to both sides again and stores the comparison.
  proxy = await startTestProxy(fs.readFileSync(proxy.rulesFile, 'utf8'), { STRANGLER_DIFF_DB: proxy.diffDb });
  const replay = await runCli(['replay', '--db', proxy.diffDb, '--rules', proxy.rulesFile, '--route', 'product']);
  expect(replay.code).toBe(0);
  expect(replay.stdout).toMatch(/replayed 20 captured request\(s\) of route product: 0 match, 20 mismatch, 0 truncated, 0 error/);
  const again = new Database(proxy.diffDb, { readonly: true });
  expect((again.prepare("SELECT COUNT(*) AS n FROM diffs WHERE source = 'replay'").get() as { n: number }).n).toBe(20);
  again.close();
}, 60000);

test('a shadow side that hangs never holds a shopper; the overflow is dropped and counted', async () => {
  const hanging = await startUpstream('hanging');
  hanging.handle(() => undefined);
  const p = await startTestProxy(`version: 1
upstreams: { legacy: "${legacy.url}", svc: "${hanging.url}" }
routes:
  - { name: r, match: { path: /api/products/:id }, extracted: svc, percent: 0, shadow: { percent: 100 } }
`, { STRANGLER_SHADOW_MAX_IN_FLIGHT: '3', STRANGLER_SHADOW_TIMEOUT_MS: '60000' });
  try {
    for (let i = 0; i < 10; i++) {
      const res = await request({ port: p.port, path: '/api/products/1', headers: { 'x-user-id': `h${i}` } });
      expect(res.status).toBe(200);
    }
    const metrics = (await request({ port: p.adminPort, path: '/metrics' })).body;
    expect(metrics).toMatch(/strangler_shadow_requests_total\{route="r",outcome="dropped"\} 7/);
    expect(metrics).toMatch(/strangler_shadow_in_flight 3/);
  } finally {
    // Even when an assertion fails: no proxy is left running behind the test.
    p.process.child.kill('SIGKILL');
    await hanging.close();
  }
}, 30000);
