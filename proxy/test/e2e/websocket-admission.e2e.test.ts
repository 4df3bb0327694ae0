/**
 * WebSocket handshakes under the route's rate limit and its upstream's admission control, through
 * the real proxy with real ws servers and clients on port 0.
 */
import { request } from '../../../scripts/testing/http-client';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';
import { startTestProxy, type TestProxy } from '../../../scripts/testing/upstreams';
import { until } from '../../../scripts/testing/wait';
import { connect, openWs, refusedWs, startWsUpstream, type RefusedHandshake, type WsClient, type WsUpstream } from '../../../scripts/testing/websockets';

let legacy: WsUpstream;
let svc: WsUpstream;
let held: WsUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  legacy = await startWsUpstream('legacy');
  svc = await startWsUpstream('svc');
  held = await startWsUpstream('held');
  // Every handshake that reaches `held` is held open and never answered.
  held.override(() => true);
  proxy = await startTestProxy(`version: 1
upstreams: { legacy: ${legacy.url}, svc: ${svc.url}, held: ${held.url} }
defaults: { sticky_by: [header:x-user-id] }
routes:
  - { name: chat, match: { path: /ws/chat }, extracted: svc, percent: 100, websocket: true, rate_limit: { by: identity, rate: 2/m, burst: 2 } }
  - { name: feed, match: { path: /ws/feed }, extracted: svc, percent: 100, websocket: true }
  - { name: api, match: { path: /api/*rest }, extracted: svc, percent: 100 }
  - { name: stuck, match: { path: /ws/stuck }, extracted: held, percent: 100, websocket: true, overload: { max_queue: 200ms } }
`);
}, 20000);
afterAll(async () => {
  const code = await proxy.stop();
  await Promise.all([legacy.close(), svc.close(), held.close()]);
  expect(code).toBe(0);
});
afterEach(() => expectNoCrash(proxy));

const metrics = async (): Promise<string> => (await request({ port: proxy.adminPort, path: '/metrics' })).body;

test('past its burst a shopper\'s handshake gets 429 with Retry-After and RateLimit headers and never reaches the upstream; another shopper is untouched', async () => {
  const before = svc.handshakes.length;
  const opened: WsClient[] = [await openWs(proxy.port, '/ws/chat', { 'x-user-id': 'u-chatty' }), await openWs(proxy.port, '/ws/chat', { 'x-user-id': 'u-chatty' })];
  const refused = await refusedWs(proxy.port, '/ws/chat', { 'x-user-id': 'u-chatty' });
  expect(refused.status).toBe(429);
  expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'STRANGLER_ERR_RATE_LIMITED' } });
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  expect(refused.headers['ratelimit-policy']).toBe('"chat";q=2;w=60');
  expect(refused.headers['x-strangler-backend']).toBeUndefined();
  opened.push(await openWs(proxy.port, '/ws/chat', { 'x-user-id': 'u-quiet' }));
  expect(svc.handshakes.length - before).toBe(3);
  const text = await metrics();
  expect(text).toContain('strangler_shed_total{route="chat",reason="rate_limit"} 1\n');
  expect(text).toContain('strangler_websocket_upgrades_total{route="chat",backend="none",result="shed"} 1\n');
  expect(text).not.toMatch(/strangler_requests_total\{route="chat",[^}]*code="429"/);
  for (const client of opened) client.ws.close();
});

test('an open WebSocket holds no admission slot: many open connections leave the upstream\'s slots to the shoppers\' requests', async () => {
  // Before any answer is timed, the upstream's limit is its floor (3): 12 open sockets would fill it four times over.
  const open = await Promise.all(Array.from({ length: 12 }, (_, i) => openWs(proxy.port, '/ws/feed', { 'x-user-id': `u-feed-${i}` })));
  const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => request({ port: proxy.port, path: `/api/item/${i}` })));
  expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
  for (const client of open) client.ws.close();
});

test('a handshake that finds its upstream full waits in its line and is shed with 503 and Retry-After after max_queue, never sent', async () => {
  // Held handshakes keep their slots (the upstream has not answered them); the first that finds
  // no slot waits max_queue (200 ms) and is shed. The limit is at most its starting value (20).
  const pending: Array<ReturnType<typeof connect>> = [];
  let shed: RefusedHandshake | null = null;
  for (let i = 0; i < 25 && shed === null; i++) {
    const attempt = connect(proxy.port, '/ws/stuck', { 'x-user-id': `u-stuck-${i}` });
    pending.push(attempt);
    let refused: RefusedHandshake | null = null;
    attempt.result.then((outcome) => { if ('status' in outcome) refused = outcome; }, () => undefined);
    // Either the upstream holds it (it took a slot) or the proxy answers it (shed): wait for one.
    await until(`handshake ${i} to reach the upstream or be refused`, () => (held.handshakes.length === pending.length || refused !== null ? true : null));
    shed = refused;
  }
  expect(shed).not.toBeNull();
  expect(shed!.status).toBe(503);
  expect(shed!.headers['retry-after']).toBe('1');
  expect(JSON.parse(shed!.body)).toMatchObject({ error: { code: 'STRANGLER_ERR_OVERLOADED' } });
  // Every handshake the upstream saw is one the proxy let through: the shed one never arrived.
  expect(held.handshakes.length).toBe(pending.length - 1);
  expect(await metrics()).toContain('strangler_shed_total{route="stuck",reason="overload"} 1\n');
  for (const attempt of pending) attempt.ws.terminate();
});
