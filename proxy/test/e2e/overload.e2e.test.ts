import http from 'node:http';
import { ask, flood, type Answer } from '../../../scripts/testing/flood';
import { request } from '../../../scripts/testing/http-client';
import { startOverloadShop, type OverloadShop } from '../../../scripts/testing/overload-shop';
import type { PooledUpstream } from '../../../scripts/testing/pooled-upstream';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';
import type { TestProxy } from '../../../scripts/testing/upstreams';
import { until } from '../../../scripts/testing/wait';

let shop: OverloadShop;
let legacy: PooledUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  shop = await startOverloadShop({ withReports: true });
  ({ legacy, proxy } = shop);
}, 20000);
afterAll(async () => {
  expect(await shop.close()).toBe(0);
});
afterEach(() => expectNoCrash(proxy));

const metrics = async (): Promise<string> => (await request({ port: proxy.adminPort, path: '/metrics' })).body;
const metric = (text: string, line: string): number => Number(text.split('\n').find((l) => l.startsWith(`${line} `))?.split(' ')[1] ?? 0);
const legacyStatus = async (): Promise<Record<string, unknown>> =>
  (await request({ port: proxy.adminPort, path: '/status' })).json<{ upstreams: Array<Record<string, unknown>> }>().upstreams.find((u) => u.name === 'legacy')!;

describe('one hot route cannot take checkout down', () => {
  let browse: Answer[];
  let orders: Answer[];
  let servedBefore: number;

  beforeAll(async () => {
    servedBefore = legacy.served;
    // 150 shoppers hammer one route for 2.5 s (far past the upstream's 4 at a time) while orders trickle in.
    const flooding = flood({ port: proxy.port, path: (i) => `/browse/${i}` }, 150, 2500);
    const agent = new http.Agent({ keepAlive: true });
    orders = [];
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 30; i++) {
      orders.push(await ask(agent, { port: proxy.port, path: () => '/checkout', method: 'POST', body: JSON.stringify({ order: i }) }, i));
      await new Promise((r) => setTimeout(r, 40));
    }
    agent.destroy();
    browse = await flooding;
  }, 30000);

  test('every order is answered 200 by legacy while the flood is shed', () => {
    expect(orders.map((o) => o.status)).toEqual(orders.map(() => 200));
    expect(orders.every((o) => o.backend === 'legacy')).toBe(true);
    expect(browse.filter((a) => a.status === 503).length).toBeGreaterThan(0);
    expect(browse.filter((a) => a.status === 200).length).toBeGreaterThan(0);
  });

  test('a shed request gets 503, Retry-After and STRANGLER_ERR_OVERLOADED, names no backend, and never reached the upstream', async () => {
    const shed = browse.filter((a) => a.status === 503);
    expect(shed.every((a) => a.code === 'STRANGLER_ERR_OVERLOADED' && a.retryAfter === '1' && a.backend === null)).toBe(true);
    expect(browse.every((a) => a.status === 200 || a.status === 503)).toBe(true);
    // The upstream served exactly the requests answered 200: none of the shed ones.
    const ok = browse.filter((a) => a.status === 200).length + orders.length;
    await until('the upstream to finish what it was sent', () => legacy.served - servedBefore === ok || null);
    const text = await metrics();
    expect(metric(text, 'strangler_shed_total{route="browse",reason="overload"}')).toBe(shed.length);
    expect(metric(text, 'strangler_shed_total{route="checkout",reason="overload"}')).toBe(0);
    // No backend answered them: they are not requests_total's 503s (no false extracted-failure page).
    expect(text).not.toMatch(/strangler_requests_total\{route="browse",backend="[a-z-]+",code="503"\}/);
    expect(metric(text, 'strangler_requests_total{route="browse",backend="legacy",code="200"}')).toBe(browse.filter((a) => a.status === 200).length);
    expect(text).toMatch(/strangler_queue_wait_seconds_count\{upstream="legacy",priority="normal",result="shed"\} [1-9]/);
    expect(text).toMatch(/strangler_upstream_concurrency_limit\{upstream="legacy"\} [1-9]/);
  });

  test('/status shows the learned limit, and once the flood is over nothing waits and every request is served', async () => {
    await until('the line to empty', async () => ((await legacyStatus()).queued === 0 && (await legacyStatus()).inFlight === 0) || null);
    const status = await legacyStatus();
    expect(status).toMatchObject({ url: legacy.url, queued: 0, inFlight: 0 });
    expect(status.limit).toEqual(expect.any(Number));
    const agent = new http.Agent({ keepAlive: true });
    for (let i = 0; i < 20; i++) expect((await ask(agent, { port: proxy.port, path: () => `/browse/after-${i}` }, i)).status).toBe(200);
    agent.destroy();
  });
});

describe('rate limits', () => {
  const search = (key: string) => request({ port: proxy.port, path: '/search', headers: { 'x-api-key': key } });

  test('past its burst a key gets 429 with Retry-After, RateLimit-Policy and RateLimit; another key is untouched', async () => {
    for (let i = 0; i < 5; i++) expect((await search('alice')).status).toBe(200);
    const refused = await search('alice');
    expect(refused.status).toBe(429);
    expect(refused.json()).toMatchObject({ error: { code: 'STRANGLER_ERR_RATE_LIMITED', route: 'search' } });
    // 5 a minute: the next token is 12 s away.
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(11);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(12);
    expect(refused.headers['ratelimit-policy']).toBe('"search";q=5;w=60');
    expect(refused.headers.ratelimit).toBe(`"search";r=0;t=${refused.headers['retry-after']}`);
    expect(refused.headers['x-strangler-backend']).toBeUndefined();
    expect((await search('bob')).status).toBe(200);
    expect(metric(await metrics(), 'strangler_shed_total{route="search",reason="rate_limit"}')).toBe(1);
  });

  test('a refused request never reaches an upstream', async () => {
    const before = legacy.served;
    for (let i = 0; i < 10; i++) expect((await search('alice')).status).toBe(429);
    expect(legacy.served).toBe(before);
  });
});

test('a route with overload: false is sent at once, outside admission control, even while another route waits', async () => {
  const flooding = flood({ port: proxy.port, path: (i) => `/browse/${i}` }, 100, 1500);
  await new Promise((r) => setTimeout(r, 300));
  const answers = await flood({ port: proxy.port, path: () => '/reports' }, 20, 800);
  await flooding;
  expect(answers.length).toBeGreaterThan(0);
  expect(answers.every((a) => a.status === 200)).toBe(true);
});

describe('with two workers', () => {
  let cluster: OverloadShop;
  beforeAll(async () => {
    cluster = await startOverloadShop({ withReports: true, env: { STRANGLER_WORKERS: '2' } });
  }, 30000);
  afterAll(async () => {
    expect(await cluster.close()).toBe(0);
  });

  test('each worker learns its own limit and sheds on its own; orders still all go through; /status sums the workers', async () => {
    const flooding = flood({ port: cluster.proxy.port, path: (i) => `/browse/${i}` }, 150, 2500);
    const agent = new http.Agent({ keepAlive: false });
    const orders: Answer[] = [];
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 20; i++) {
      orders.push(await ask(agent, { port: cluster.proxy.port, path: () => '/checkout', method: 'POST', body: '{}' }, i));
      await new Promise((r) => setTimeout(r, 40));
    }
    const browse = await flooding;
    expect(orders.map((o) => o.status)).toEqual(orders.map(() => 200));
    expect(browse.some((a) => a.status === 503 && a.code === 'STRANGLER_ERR_OVERLOADED')).toBe(true);
    const status = (await request({ port: cluster.proxy.adminPort, path: '/status' })).json<{ upstreams: Array<{ name: string; limit: number; workers: Array<{ limit: number | null }> }> }>();
    const upstream = status.upstreams.find((u) => u.name === 'legacy')!;
    expect(upstream.workers).toHaveLength(2);
    expect(upstream.limit).toBe(upstream.workers.reduce((n, w) => n + (w.limit ?? 0), 0));
    const text = (await request({ port: cluster.proxy.adminPort, path: '/metrics' })).body;
    expect(metric(text, 'strangler_shed_total{route="browse",reason="overload"}')).toBe(browse.filter((a) => a.status === 503).length);
  }, 30000);
});
