import { flood } from '../../../scripts/testing/flood';
import { request } from '../../../scripts/testing/http-client';
import { startOverloadShop, type OverloadShop } from '../../../scripts/testing/overload-shop';
import type { PooledUpstream } from '../../../scripts/testing/pooled-upstream';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';
import type { TestProxy } from '../../../scripts/testing/upstreams';
import { until } from '../../../scripts/testing/wait';

/**
 * GET /stats under a real flood: the requests the proxy shed, per route and reason, and each
 * upstream's admission figures, against what the shoppers got and what /metrics counted.
 * The legacy upstream serves 4 requests at a time, 25 ms each (about 160 answers/s).
 */
let shop: OverloadShop;
let legacy: PooledUpstream;
let proxy: TestProxy;

interface Shed { overload: { requests: number; rps: number }; rateLimit: { requests: number; rps: number } }
interface Upstream { name: string; url: string; limit: number | null; inFlight: number; queued: number; mirrors: number; minRttMs: number | null }
interface Stats { upstreams: Upstream[]; routes: Array<{ name: string; windows: Record<'1m' | '15m', { seconds: number; legacy: { requests: number }; shed: Shed }> }> }

beforeAll(async () => {
  shop = await startOverloadShop({ withReports: false });
  ({ legacy, proxy } = shop);
}, 20000);
afterAll(async () => {
  await shop?.close();
});
afterEach(() => expectNoCrash(proxy));

const stats = async (): Promise<Stats> => (await request({ port: proxy.adminPort, path: '/stats' })).json<Stats>();
const routeOf = (s: Stats, name: string): Stats['routes'][number] => s.routes.find((r) => r.name === name)!;
const upstreamOf = (s: Stats, name: string): Upstream => s.upstreams.find((u) => u.name === name)!;
const metric = async (line: string): Promise<number> => {
  const text = (await request({ port: proxy.adminPort, path: '/metrics' })).body;
  return Number(text.split('\n').find((l) => l.startsWith(`${line} `))?.split(' ')[1] ?? 0);
};

test('before any request: every upstream listed with no limit learned yet and nothing in flight; no route has shed anything', async () => {
  const s = await stats();
  expect(s.upstreams).toEqual([
    { name: 'legacy', url: legacy.url, limit: null, inFlight: 0, queued: 0, mirrors: 0, minRttMs: null },
    { name: 'svc', url: shop.svc.url, limit: null, inFlight: 0, queued: 0, mirrors: 0, minRttMs: null },
  ]);
  for (const route of s.routes) {
    for (const w of ['1m', '15m'] as const) expect(route.windows[w].shed).toEqual({ overload: { requests: 0, rps: 0 }, rateLimit: { requests: 0, rps: 0 } });
  }
});

test('a flood on one route: /stats shows its shed requests per second, as many as shoppers got 503 and /metrics counted, and the upstream\'s limit and queue', async () => {
  // 150 shoppers hammer browse for 2.5 s; while they do, the upstream is at its limit with a queue.
  const flooding = flood({ port: proxy.port, path: (i) => `/browse/${i}` }, 150, 2500);
  const busy = await until('/stats to show requests waiting for legacy', async () => {
    const u = upstreamOf(await stats(), 'legacy');
    return u.queued > 0 ? u : null;
  }, 2500);
  const answers = await flooding;
  expect(typeof busy.limit).toBe('number');
  expect(busy.inFlight).toBeGreaterThan(0);
  expect(busy.inFlight).toBeLessThanOrEqual(busy.limit!);

  const shed = answers.filter((a) => a.status === 503).length;
  expect(shed).toBeGreaterThan(0);
  const s = await stats();
  const browse = routeOf(s, 'browse');
  for (const w of ['1m', '15m'] as const) {
    const figures = browse.windows[w];
    expect(figures.shed.overload.requests).toBe(shed);
    expect(figures.shed.overload.rps).toBeCloseTo(shed / figures.seconds, 2);
    expect(figures.shed.rateLimit.requests).toBe(0);
    // Shed requests reached no backend: the backend's figures count only the answered ones.
    expect(figures.legacy.requests).toBe(answers.length - shed);
  }
  expect(await metric('strangler_shed_total{route="browse",reason="overload"}')).toBe(shed);
  expect(routeOf(s, 'checkout').windows['1m'].shed.overload.requests).toBe(0);
  // Once the flood is over nothing waits, and the learned limit stays.
  const after = await until('the line to empty', async () => {
    const u = upstreamOf(await stats(), 'legacy');
    return u.queued === 0 && u.inFlight === 0 ? u : null;
  });
  expect(after.limit).toEqual(expect.any(Number));
  expect(after.minRttMs).toBeGreaterThan(0);
}, 30000);

test('rate-limited requests are shown apart, per route', async () => {
  const answers = [];
  for (let i = 0; i < 8; i++) answers.push((await request({ port: proxy.port, path: '/search', headers: { 'x-api-key': 'alice' } })).status);
  expect(answers).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
  const search = routeOf(await stats(), 'search');
  for (const w of ['1m', '15m'] as const) {
    expect(search.windows[w].shed.rateLimit.requests).toBe(3);
    expect(search.windows[w].shed.rateLimit.rps).toBeGreaterThan(0);
    expect(search.windows[w].shed.overload.requests).toBe(0);
  }
  expect(await metric('strangler_shed_total{route="search",reason="rate_limit"}')).toBe(3);
});

test('with 2 workers, /stats sums their shed requests and their upstream figures (each worker learns its own limit)', async () => {
  const cluster = await startOverloadShop({ withReports: false, env: { STRANGLER_WORKERS: '2' } });
  const pair = cluster.proxy;
  try {
    const answers = await flood({ port: pair.port, path: (i) => `/browse/${i}` }, 100, 1500);
    const shed = answers.filter((a) => a.status === 503).length;
    expect(shed).toBeGreaterThan(0);
    const s = (await request({ port: pair.adminPort, path: '/stats' })).json<Stats & { workers: number }>();
    expect(s.workers).toBe(2);
    expect(routeOf(s, 'browse').windows['1m'].shed.overload.requests).toBe(shed);
    const text = (await request({ port: pair.adminPort, path: '/metrics' })).body;
    expect(text).toContain(`strangler_shed_total{route="browse",reason="overload"} ${shed}\n`);
    const merged = s.upstreams.find((u) => u.name === 'legacy')! as Upstream & { workers: Array<{ limit: number | null }> };
    expect(merged.workers).toHaveLength(2);
    // The limit shown is the sum of the limits the workers learned (one may not have a gate yet).
    expect(merged.limit).toBe(merged.workers.reduce((n, w) => n + (w.limit ?? 0), 0));
  } finally {
    await cluster.close();
  }
}, 30000);
