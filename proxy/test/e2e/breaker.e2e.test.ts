import { request } from '../../../scripts/testing/http-client';
import { parseJson } from '../../../scripts/testing/processes';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';
import { oneRouteRules, startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';
import { until } from '../../../scripts/testing/wait';

let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;

// Short durations so the whole life of the breaker fits in a test: 6 requests in 2 s, open for 1 s, 2 trials.
const ROUTE = `match: { path: /api/x }
percent: 100
breaker: { failure_rate: 0.5, min_requests: 6, window: 2s, open_for: 1s, probes: 2 }`;

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  proxy = await startTestProxy(oneRouteRules(legacy.url, svc.url, ROUTE));
}, 20000);
afterAll(async () => {
  const code = await proxy.stop();
  await Promise.all([legacy.close(), svc.close()]);
  expect(code).toBe(0);
});
afterEach(() => expectNoCrash(proxy));

const failing = (): void => svc.handle((_req, res) => { res.writeHead(500, { 'content-type': 'application/json' }); res.end('{"error":"boom"}'); });
const healthy = (): void => svc.handle(null);
const get = (user = 'u1') => request({ port: proxy.port, path: '/api/x', headers: { 'x-user-id': user } });
const post = (user = 'u1') => request({ port: proxy.port, path: '/api/x', method: 'POST', headers: { 'x-user-id': user, 'content-type': 'application/json' }, body: '{"order":1}' });
const admin = async (path: string) => request({ port: proxy.adminPort, path });
const breakerOf = async (): Promise<Record<string, unknown>> => (await admin('/status')).json<{ routes: Array<{ breaker: Record<string, unknown> }> }>().routes[0].breaker;
const stateLines = (): Array<Record<string, unknown>> => proxy.process.lines.map(parseJson).filter((l): l is Record<string, unknown> => l !== null && typeof l.breaker === 'string');

test('a failing extracted side opens the breaker: shoppers (writes too) go to legacy, then trials close it again', async () => {
  expect(await breakerOf()).toMatchObject({ state: 'closed', requests: 0 });

  // Extracted answers 500: shoppers see it (500 is not a fallback_on status) until the breaker opens.
  failing();
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await get()).status);
  expect(statuses).toEqual([500, 500, 500, 500, 500, 500]);

  // Open: a write without an Idempotency-Key now reaches legacy instead of failing.
  const write = await post();
  expect(write.status).toBe(200);
  expect(write.headers['x-strangler-backend']).toBe('legacy');
  expect(svc.seen.filter((s) => s.method === 'POST')).toHaveLength(0);
  expect((await get()).headers['x-strangler-backend']).toBe('legacy');
  expect(await breakerOf()).toMatchObject({ state: 'open', failureRate: 1, requests: 6, trips: 1 });
  await until('the access line saying why', () => proxy.accessLines().some((l) => l.reason === 'breaker' && l.backend === 'legacy'));
  const metrics = (await admin('/metrics')).body;
  expect(metrics).toMatch(/strangler_breaker_state\{route="r"\} 1/);
  expect(metrics).toMatch(/strangler_breaker_trips_total\{route="r"\} 1/);
  await until('a warn line for the opening', () => stateLines().some((l) => l.breaker === 'open' && l.level === 40 && l.route === 'r'));

  // Extracted recovers; after open_for, trial requests go there and close the breaker.
  healthy();
  await until('half-open', async () => (await breakerOf()).state === 'half-open', 3000);
  expect((await admin('/metrics')).body).toMatch(/strangler_breaker_state\{route="r"\} 2/);
  const trials = [await get(), await get()];
  expect(trials.map((t) => t.headers['x-strangler-backend'])).toEqual(['extracted', 'extracted']);
  expect(await breakerOf()).toMatchObject({ state: 'closed', requests: 0 });
  expect((await get()).headers['x-strangler-backend']).toBe('extracted');
  // Log lines are batched (written within 200 ms).
  await until('a line for every change', () => stateLines().length >= 3);
  expect(stateLines().map((l) => l.breaker)).toEqual(['open', 'half-open', 'closed']);
});

test('a trial that fails during half-open opens it again', async () => {
  failing();
  for (let i = 0; i < 6; i++) await get();
  expect(await breakerOf()).toMatchObject({ state: 'open' });
  await until('half-open', async () => (await breakerOf()).state === 'half-open', 3000);
  const trial = await get();
  expect(trial.status).toBe(500);
  expect(trial.headers['x-strangler-backend']).toBe('extracted');
  expect(await breakerOf()).toMatchObject({ state: 'open', trips: 3 });
  expect((await get()).headers['x-strangler-backend']).toBe('legacy');
  healthy();
});
