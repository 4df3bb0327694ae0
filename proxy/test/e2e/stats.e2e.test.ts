import crypto from 'node:crypto';
import type http from 'node:http';
import { request } from '../../../scripts/testing/http-client';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';
import { startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';
import { until } from '../../../scripts/testing/wait';

let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;

interface Figures { requests: number; rps: number; failures: number; failureRate: number | null; fallbacks: number; p50Ms: number | null; p95Ms: number | null }
interface StatsRoute {
  name: string; percent: number; percentSource: string; breaker: Record<string, unknown> | null; rollout: Record<string, unknown> | null;
  windows: Record<'1m' | '15m', { seconds: number; legacy: Figures; extracted: Figures }>;
  shadow: { compared: number; mismatches: number; mismatchRate: number | null; windows: Record<'1m' | '15m', { compared: number; mismatchRate: number | null }> };
  series: { slotSeconds: number; at: number[]; legacy: number[]; extracted: number[] };
}
interface Stats { at: string; epoch: number; since: string; routes: StatsRoute[] }

/** Legacy and extracted answer the same product, except extracted's price for even ids. */
function answer(side: 'legacy' | 'svc') {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = req.url ?? '';
    if (side === 'svc' && url.startsWith('/api/failing')) { res.writeHead(500, { 'content-type': 'application/json' }); res.end('{"error":"boom"}'); return; }
    if (side === 'svc' && url.startsWith('/api/unavailable')) { res.writeHead(503, { 'content-type': 'application/json' }); res.end('{"error":"down"}'); return; }
    const id = Number(/\/api\/products\/(\d+)/.exec(url)?.[1] ?? 0);
    const payload = JSON.stringify({ id, price: side === 'svc' && id % 2 === 0 ? 1300 : 1299 });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  };
}

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  legacy.handle(answer('legacy'));
  svc.handle(answer('svc'));
  proxy = await startTestProxy(`version: 1
upstreams: { legacy: ${legacy.url}, svc: ${svc.url} }
routes:
  - name: split
    match: { path: /api/split }
    extracted: svc
    percent: 50
    rollout: { steps: [50, 100] }
  - name: failing
    match: { path: /api/failing }
    extracted: svc
    percent: 100
  - name: unavailable
    match: { path: /api/unavailable }
    extracted: svc
    percent: 100
  - name: product
    match: { path: /api/products/:id }
    extracted: svc
    percent: 0
    shadow: { percent: 100, budget: 0.01 }
  - name: quiet
    match: { path: /api/quiet }
    extracted: svc
    percent: 10
`);
}, 20000);
afterAll(async () => {
  await proxy?.stop();
  await Promise.all([legacy?.close(), svc?.close()]);
});
afterEach(() => expectNoCrash(proxy));

const stats = async (): Promise<Stats> => {
  const res = await request({ port: proxy.adminPort, path: '/stats' });
  expect(res.status).toBe(200);
  return res.json<Stats>();
};
const routeOf = (s: Stats, name: string): StatsRoute => s.routes.find((r) => r.name === name)!;
const get = (path: string, user: string) => request({ port: proxy.port, path, headers: { 'x-user-id': user } });

test('/stats counts what was sent, per route and backend, over 1m and 15m; a route without traffic has nulls, not zeros', async () => {
  const served: Record<string, number> = { legacy: 0, extracted: 0 };
  for (let i = 0; i < 40; i++) served[(await get('/api/split', `shopper-${i}`)).headers['x-strangler-backend'] as string]++;
  for (let i = 0; i < 10; i++) expect((await get('/api/failing', `f${i}`)).status).toBe(500);
  // 503 is a fallback_on status: legacy answers, and the request counts as a failed extracted one.
  for (let i = 0; i < 4; i++) expect((await get('/api/unavailable', `u${i}`)).headers['x-strangler-backend']).toBe('legacy-fallback');
  expect(served.legacy).toBeGreaterThan(0);
  expect(served.extracted).toBeGreaterThan(0);

  const s = await stats();
  expect(s.epoch).toBe(1);
  expect(Number.isNaN(Date.parse(s.at))).toBe(false);
  expect(s.routes.map((r) => r.name)).toEqual(['split', 'failing', 'unavailable', 'product', 'quiet']);

  const split = routeOf(s, 'split');
  expect(split).toMatchObject({ percent: 50, percentSource: 'yaml', breaker: null, rollout: { steps: [50, 100], step: 1, lastVerdict: null } });
  for (const name of ['1m', '15m'] as const) {
    const w = split.windows[name];
    expect(w.legacy).toMatchObject({ requests: served.legacy, failures: 0, failureRate: 0, fallbacks: 0 });
    expect(w.extracted).toMatchObject({ requests: served.extracted, failures: 0, failureRate: 0 });
    expect(w.legacy.p50Ms).not.toBeNull();
    expect(w.extracted.p95Ms!).toBeGreaterThanOrEqual(w.extracted.p50Ms!);
    expect(w.legacy.rps).toBeCloseTo(served.legacy / w.seconds, 2);
  }
  const last = split.series.legacy.length - 1;
  expect(split.series.at).toHaveLength(90);
  expect(split.series.at[last] - split.series.at[last - 1]).toBe(10_000);
  expect(split.series.legacy.reduce((a, b) => a + b, 0) + split.series.extracted.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

  expect(routeOf(s, 'failing').windows['1m'].extracted).toMatchObject({ requests: 10, failures: 10, failureRate: 1, fallbacks: 0 });
  expect(routeOf(s, 'failing').windows['1m'].legacy).toMatchObject({ requests: 0, failureRate: null, p50Ms: null, p95Ms: null });
  expect(routeOf(s, 'unavailable').windows['15m'].extracted).toMatchObject({ requests: 4, failures: 4, failureRate: 1, fallbacks: 4 });

  const quiet = routeOf(s, 'quiet');
  for (const name of ['1m', '15m'] as const) {
    for (const backend of ['legacy', 'extracted'] as const) {
      expect(quiet.windows[name][backend]).toEqual({ requests: 0, rps: 0, failures: 0, failureRate: null, fallbacks: 0, p50Ms: null, p95Ms: null });
    }
  }
  expect(quiet.shadow).toMatchObject({ compared: 0, mismatchRate: null });
});

test('/stats counts shadow comparisons and mismatches as the worker reports them', async () => {
  for (let id = 1; id <= 10; id++) expect((await get(`/api/products/${id}`, `p${id}`)).headers['x-strangler-backend']).toBe('legacy');
  const product = await until('ten comparisons', async () => {
    const r = routeOf(await stats(), 'product');
    return r.shadow.compared >= 10 ? r : null;
  }, 10000);
  // Extracted's price differs for the five even ids.
  expect(product.shadow).toMatchObject({ compared: 10, mismatches: 5, mismatchRate: 0.5 });
  expect(product.shadow.windows['1m']).toMatchObject({ compared: 10, mismatchRate: 0.5 });
  expect(product.windows['1m'].legacy.requests).toBe(10);
});

test('/stats and /dashboard answer only requests addressed to the admin listener', async () => {
  for (const path of ['/stats', '/dashboard']) {
    for (const host of ['evil.example', `evil.example:${proxy.adminPort}`]) {
      const res = await request({ port: proxy.adminPort, path, host });
      expect(res.status).toBe(403);
      expect(res.json<{ error: { code: string } }>().error.code).toBe('STRANGLER_ERR_ADMIN_HOST');
    }
    expect((await request({ port: proxy.adminPort, path, host: `localhost:${proxy.adminPort}` })).status).toBe(200);
  }
});

test('the dashboard is one page with a strict CSP that allows exactly its inline script and style, and no URL to anywhere', async () => {
  const res = await request({ port: proxy.adminPort, path: '/dashboard' });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  const csp = String(res.headers['content-security-policy']);
  const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
  expect(directives.get('default-src')).toEqual(["'none'"]);
  expect(directives.get('connect-src')).toEqual(["'self'"]);
  expect(directives.get('img-src')).toEqual(["'self'", 'data:']);
  expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
  const sha = (text: string): string => `'sha256-${crypto.createHash('sha256').update(text).digest('base64')}'`;
  const scripts = [...res.body.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  const styles = [...res.body.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
  expect(scripts).toHaveLength(1);
  expect(styles).toHaveLength(1);
  expect(directives.get('script-src')).toEqual([sha(scripts[0])]);
  expect(directives.get('style-src')).toEqual([sha(styles[0])]);
  expect(res.body).not.toMatch(/<script[^>]*\ssrc=|<link[^>]*stylesheet|@import|url\(/i);
  expect(res.body).not.toMatch(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
  expect(res.body).toContain("fetch('/stats'");
});
