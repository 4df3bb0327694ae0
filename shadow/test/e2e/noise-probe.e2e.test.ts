/**
 * The sampled noise probe on real processes: a proxy mirroring every read of two routes to real
 * upstreams on loopback. Once a route's noise picture has settled, legacy is asked a second time
 * on few of the mirrored reads (counted at legacy itself); a field noisy on every answer is still
 * cancelled on the reads not probed, and a real difference is still a mismatch on every read.
 */
import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { request } from '../../../scripts/testing/http-client';
import { runCli, tempDir } from '../../../scripts/testing/processes';
import { until } from '../../../scripts/testing/wait';
import { startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';

let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;

/** The same product on both sides, a random nonce on every answer; extracted gets the price wrong on /api/wrong. */
function product(side: 'legacy' | 'svc') {
  return (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void => {
    const wrong = side === 'svc' && req.url!.startsWith('/api/wrong');
    const payload = JSON.stringify({ id: 7, name: 'Mug', price: wrong ? 1300 : 1299, nonce: crypto.randomUUID() });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  };
}

interface Picture { phase: string; probeRate: number; reads: number; probes: number; since: string; known: Array<{ path: string; seen: number }> }
interface StatusRoute { name: string; shadow: { outcomes: Record<string, number>; noise: Picture | null } }

async function route(name: string): Promise<StatusRoute> {
  const status = (await request({ port: proxy.adminPort, path: '/status' })).json<{ routes: StatusRoute[] }>();
  return status.routes.find((r) => r.name === name)!;
}

/** Mirrors of reads that reached legacy: the second answers (the routes are served by legacy). */
const legacyMirrors = (prefix: string): number => legacy.seen.filter((s) => s.headers['x-strangler-mirror'] === '1' && s.url.startsWith(prefix)).length;

async function reads(prefix: string, n: number, from: number): Promise<void> {
  for (let i = from; i < from + n; i++) {
    const res = await request({ port: proxy.port, path: `${prefix}/7?q=${i}`, headers: { 'x-user-id': `u${i}` } });
    expect(res.status).toBe(200);
  }
}

/** Waits until the route's reads have all been compared and the worker has sent its picture. */
const compared = (name: string, n: number): Promise<StatusRoute> => until(`${n} reads of ${name} compared`, async () => {
  const r = await route(name);
  return r.shadow.noise !== null && r.shadow.noise.reads >= n ? r : null;
}, 30_000);

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
    shadow: { percent: 100, budget: 0.01 }
  - name: wrong
    match: { path: /api/wrong/:id }
    extracted: svc
    percent: 0
    shadow: { percent: 100, budget: 0.01 }
`);
}, 20000);
afterAll(async () => {
  await proxy.stop();
  await Promise.all([legacy.close(), svc.close()]);
});

test('after learning, legacy is asked twice on few reads; the noisy field stays cancelled and a real difference stays a mismatch', async () => {
  // Learning: every read is probed until 20 probes in a row show nothing new (the nonce is found on the first).
  await reads('/api/products', 40, 0);
  const learned = await compared('product', 40);
  expect(learned.shadow.noise).toMatchObject({ phase: 'settled', probeRate: 0.1, reads: 40, known: [{ path: 'body.nonce' }] });
  expect(learned.shadow.noise!.probes).toBeGreaterThanOrEqual(21);
  const afterLearning = legacyMirrors('/api/products');
  expect(afterLearning).toBe(learned.shadow.noise!.probes);

  // Settled: 200 more reads; about one in ten asks legacy twice.
  await reads('/api/products', 200, 40);
  const settled = await compared('product', 240);
  const probedSince = legacyMirrors('/api/products') - afterLearning;
  expect(probedSince).toBeLessThan(200 / 3);
  expect(settled.shadow.noise!.probes).toBe(legacyMirrors('/api/products'));
  // The nonce differs on every read, probed or not: still noise, never a mismatch.
  expect(settled.shadow.outcomes).toMatchObject({ match: 240, mismatch: 0 });

  // A route whose extracted gets the price wrong: learns its own picture, and every read is a mismatch at the price.
  await reads('/api/wrong', 80, 0);
  const wrong = await compared('wrong', 80);
  expect(wrong.shadow.noise).toMatchObject({ phase: 'settled', known: [{ path: 'body.nonce' }] });
  expect(legacyMirrors('/api/wrong')).toBeLessThan(80);
  expect(wrong.shadow.outcomes).toMatchObject({ match: 0, mismatch: 80 });

  await until('the store to have taken every row', async () => (await request({ port: proxy.adminPort, path: '/status' })).json<{ diffStore: { buffered: number } }>().diffStore.buffered === 0);
  await proxy.stop(); // flushes the diff store
  const db = new Database(proxy.diffDb, { readonly: true });
  const stored = db.prepare("SELECT noise FROM diffs WHERE route = 'product'").all() as Array<{ noise: string }>;
  db.close();
  expect(stored).toHaveLength(240);
  expect(stored.filter((r) => r.noise === 'null')).toHaveLength(240 - legacyMirrors('/api/products'));
  expect(stored.filter((r) => r.noise === '["body.nonce"]')).toHaveLength(legacyMirrors('/api/products'));

  // The report judges the window the same way, and says how the noise was learned.
  const out = tempDir('noise-report');
  const report = await runCli(['report', '--db', proxy.diffDb, '--rules', proxy.rulesFile, '--out', out]);
  expect(report.code).toBe(1); // the wrong price is over budget
  const json = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as { routes: Array<Record<string, unknown>> };
  const productReport = json.routes.find((r) => r.route === 'product')!;
  expect(productReport).toMatchObject({
    compared: 240, mismatches: 0,
    noiseProbe: { readsCompared: 240, probed: legacyMirrors('/api/products'), knownNoise: ['body.nonce'], firstProbe: expect.any(String) },
  });
  expect(json.routes.find((r) => r.route === 'wrong')).toMatchObject({ compared: 80, mismatches: 80, topPaths: [expect.objectContaining({ path: 'body.price', count: 80 })] });
  const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
  expect(md).toContain(`product: Noise probe: known noise: \`body.nonce\`; learned from ${legacyMirrors('/api/products')} of 240 reads asked of legacy twice`);
  expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('Noise probe: known noise: body.nonce; learned from');
}, 120_000);
