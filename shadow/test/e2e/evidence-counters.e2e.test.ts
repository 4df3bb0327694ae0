import Database from 'better-sqlite3';
import fs from 'node:fs';
import { request } from '../../../scripts/testing/http-client';
import { closedPort, startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';
import { until } from '../../../scripts/testing/wait';
import { LATENCY_BOUNDS_MS, quantileMs } from '../../store/traffic';

let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;

/** Two routes with a rollout plan (which opens the store) and none with shadow. */
async function rules(): Promise<string> {
  return `version: 1
upstreams: { legacy: ${legacy.url}, svc: ${svc.url}, gone: http://127.0.0.1:${await closedPort()} }
routes:
  - name: half
    match: { path: /api/half }
    extracted: svc
    percent: 50
    rollout: { steps: [50, 100] }
  - name: refused
    match: { path: /api/refused }
    extracted: gone
    percent: 100
    rollout: { steps: [100] }
`;
}

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  proxy = await startTestProxy(await rules());
}, 20000);
afterAll(async () => {
  const code = await proxy.stop();
  await Promise.all([legacy.close(), svc.close()]);
  expect(code).toBe(0);
});

interface TrafficRow { route: string; backend: string; requests: number; failures: number; fallbacks: number; latency_ms_sum: number }

function read(): { traffic: TrafficRow[]; latency: Array<{ route: string; backend: string; le_ms: number; count: number }> } {
  if (!fs.existsSync(proxy.diffDb)) return { traffic: [], latency: [] };
  const db = new Database(proxy.diffDb, { readonly: true });
  try {
    const traffic = db.prepare('SELECT route, backend, SUM(requests) AS requests, SUM(failures) AS failures, SUM(fallbacks) AS fallbacks, SUM(latency_ms_sum) AS latency_ms_sum FROM traffic GROUP BY route, backend ORDER BY route, backend').all() as TrafficRow[];
    const latency = db.prepare('SELECT route, backend, le_ms, SUM(count) AS count FROM traffic_latency GROUP BY route, backend, le_ms').all() as Array<{ route: string; backend: string; le_ms: number; count: number }>;
    return { traffic, latency };
  } finally {
    db.close();
  }
}

test('the proxy writes per-minute counters per route and side into the store, about a second behind', async () => {
  const sides: Record<string, number> = { legacy: 0, extracted: 0 };
  for (let i = 0; i < 40; i++) {
    const res = await request({ port: proxy.port, path: '/api/half', headers: { 'x-user-id': `user-${i}` } });
    sides[res.headers['x-strangler-backend'] as string]++;
  }
  // A refused extracted side: the GET falls back to legacy, and counts as an extracted failure.
  for (let i = 0; i < 3; i++) expect((await request({ port: proxy.port, path: '/api/refused', headers: { 'x-user-id': 'u' } })).headers['x-strangler-backend']).toBe('legacy-fallback');

  const rows = await until('counters in the store', () => {
    const { traffic } = read();
    const total = traffic.reduce((n, r) => n + r.requests, 0);
    return total === 43 ? traffic : null;
  }, 5000);
  expect(sides.legacy).toBeGreaterThan(5);
  expect(sides.extracted).toBeGreaterThan(5);
  expect(rows.map((r) => [r.route, r.backend, r.requests, r.failures, r.fallbacks])).toEqual([
    ['half', 'extracted', sides.extracted, 0, 0],
    ['half', 'legacy', sides.legacy, 0, 0],
    ['refused', 'extracted', 3, 3, 3],
  ]);

  // The latency histogram holds every request, in the shared buckets, and gives a plausible p95.
  const { latency } = read();
  const extracted = latency.filter((l) => l.route === 'half' && l.backend === 'extracted');
  expect(extracted.reduce((n, l) => n + l.count, 0)).toBe(sides.extracted);
  const counts = LATENCY_BOUNDS_MS.map((le) => extracted.find((l) => l.le_ms === le)?.count ?? 0);
  const p95 = quantileMs(counts, 0.95)!;
  expect(p95).toBeGreaterThan(0);
  expect(p95).toBeLessThan(1000);
});

test('/status shows each rollout route\'s step and the latest verdict the store holds', async () => {
  const status = async () => (await request({ port: proxy.adminPort, path: '/status' })).json<{ routes: Array<{ name: string; rollout: Record<string, unknown> | null }> }>();
  expect((await status()).routes[0].rollout).toEqual({ steps: [50, 100], step: 1, lastVerdict: null });
  const db = new Database(proxy.diffDb);
  const at = Date.now();
  db.prepare('INSERT INTO rollout_verdicts (at, route, verdict, from_percent, to_percent, evidence) VALUES (?, ?, ?, ?, ?, ?)').run(at - 5000, 'half', 'hold', 50, 50, '{}');
  db.prepare('INSERT INTO rollout_verdicts (at, route, verdict, from_percent, to_percent, evidence) VALUES (?, ?, ?, ?, ?, ?)').run(at, 'half', 'advance', 50, 100, JSON.stringify({ summary: 'every gate holds' }));
  db.close();
  const rollout = await until('the verdict on /status', async () => {
    const r = (await status()).routes[0].rollout;
    return r !== null && r.lastVerdict !== null ? r : null;
  }, 5000);
  expect(rollout.lastVerdict).toEqual({ verdict: 'advance', at: new Date(at).toISOString(), fromPercent: 50, toPercent: 100, summary: 'every gate holds' });
});
