/**
 * WebSocket routes through the real proxy process, with real ws servers and clients on port 0.
 */
import { rawRequest, request } from '../../../scripts/testing/http-client';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';
import { closedPort, startTestProxy, type TestProxy } from '../../../scripts/testing/upstreams';
import { until } from '../../../scripts/testing/wait';
import { handshakeBytes, openWs, refusedWs, startWsUpstream, type WsClient, type WsUpstream } from '../../../scripts/testing/websockets';

let legacy: WsUpstream;
let svc: WsUpstream;
let proxy: TestProxy;

const rules = (refusedPort: number): string => `version: 1
upstreams:
  legacy: ${legacy.url}
  svc: ${svc.url}
  gone: http://127.0.0.1:${refusedPort}
defaults: { sticky_by: [cookie:strangler_id, header:x-user-id] }
routes:
  - { name: ws-extracted, match: { methods: [GET], path: /ws/x/*rest }, extracted: svc, percent: 100, websocket: true }
  - { name: ws-legacy, match: { path: /ws/l/*rest }, extracted: svc, percent: 0, websocket: true }
  - { name: ws-split, match: { methods: [GET, HEAD], path: /ws/s/*rest }, extracted: svc, percent: 50, websocket: true }
  - { name: ws-refused, match: { path: /ws/refused }, extracted: gone, percent: 100, websocket: true }
  - { name: ws-slow, match: { path: /ws/slow }, extracted: svc, percent: 100, websocket: true, timeout_ms: 300 }
  - { name: ws-breaker, match: { path: /ws/breaker }, extracted: gone, percent: 100, websocket: true, breaker: { failure_rate: 0.5, min_requests: 3, window: 1m, open_for: 1m, probes: 1 } }
  - { name: not-websocket, match: { path: /ws/plain }, extracted: svc, percent: 100 }
  - { name: api, match: { path: /api/*rest }, extracted: svc, percent: 100 }
`;

const status = async (): Promise<{ websockets: { open: number }; routes: Array<{ name: string; websocket: boolean }> }> =>
  (await request({ port: proxy.adminPort, path: '/status' })).json();
const metrics = async (): Promise<string> => (await request({ port: proxy.adminPort, path: '/metrics' })).body;

beforeAll(async () => {
  legacy = await startWsUpstream('legacy');
  svc = await startWsUpstream('svc');
  proxy = await startTestProxy(rules(await closedPort()));
}, 20000);
afterAll(async () => {
  const code = await proxy.stop();
  await Promise.all([legacy.close(), svc.close()]);
  expect(code).toBe(0);
});
beforeEach(() => {
  legacy.handshakes.length = 0;
  svc.handshakes.length = 0;
  legacy.override(null);
  svc.override(null);
});
afterEach(() => expectNoCrash(proxy));

const greeting = async (client: WsClient): Promise<{ servedBy: string; url: string }> => JSON.parse(String(await client.next())) as { servedBy: string; url: string };

describe('echo through the side the decision picks', () => {
  test.each([['/ws/x/echo', 'svc', 'extracted', 'ws-extracted'], ['/ws/l/echo', 'legacy', 'legacy', 'ws-legacy']])('%s is served by %s; the 101 says %s', async (path, servedBy, backend, route) => {
    const client = await openWs(proxy.port, `${path}?q=1`, { 'x-user-id': 'u-echo' });
    expect(client.upgrade.headers['x-strangler-route']).toBe(route);
    expect(client.upgrade.headers['x-strangler-backend']).toBe(backend);
    expect(await greeting(client)).toEqual({ servedBy, url: `${path}?q=1` });
    client.ws.send('hello');
    expect(await client.next()).toBe('hello');
    client.ws.send(Buffer.from([0, 1, 2, 255]));
    expect(await client.next()).toEqual(Buffer.from([0, 1, 2, 255]));
    client.ws.close();
    await client.closed;
  });

  test('the upstream sees the usual header hygiene: no x-strangler-*, X-Forwarded-* and Via set, the shopper\'s Host, its own Sec-WebSocket-Key', async () => {
    const client = await openWs(proxy.port, '/ws/x/headers', {
      'x-user-id': 'u-h', 'x-strangler-force': 'legacy', 'x-strangler-shadow': '1', 'x-forwarded-for': '6.6.6.6', 'x-custom': 'kept',
    });
    await greeting(client);
    const seen = svc.handshakes[0].headers;
    expect(Object.keys(seen).filter((h) => h.startsWith('x-strangler-'))).toEqual([]);
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-host']).toBe(`127.0.0.1:${proxy.port}`);
    expect(seen.via).toBe('1.1 strangler');
    expect(seen['x-custom']).toBe('kept');
    expect(seen.upgrade).toBe('websocket');
    expect(seen['sec-websocket-key']).toBeDefined();
    expect(seen['x-request-id']).toBeDefined();
    expect(seen.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    client.ws.close();
    await client.closed;
  });

  test('a 1 MiB message goes through both ways intact', async () => {
    const client = await openWs(proxy.port, '/ws/x/big', { 'x-user-id': 'u-big' });
    await greeting(client);
    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    client.ws.send(big);
    expect(Buffer.compare(await client.next(10000) as Buffer, big)).toBe(0);
    client.ws.close();
    await client.closed;
  });
});

describe('stickiness: a WebSocket is decided like any request', () => {
  test('the same identity gets the same side on every connection, and the same side its HTTP requests get', async () => {
    const sides = new Set<string>();
    for (let user = 0; user < 12; user++) {
      const http = await request({ port: proxy.port, path: `/ws/s/probe`, headers: { 'x-user-id': `sticky-${user}` } });
      const backends: string[] = [];
      for (let i = 0; i < 3; i++) {
        const client = await openWs(proxy.port, '/ws/s/live', { 'x-user-id': `sticky-${user}` });
        backends.push(String(client.upgrade.headers['x-strangler-backend']));
        client.ws.close();
        await client.closed;
      }
      expect(new Set(backends).size).toBe(1);
      expect(backends[0]).toBe(http.headers['x-strangler-backend']);
      sides.add(backends[0]);
    }
    expect(sides).toEqual(new Set(['legacy', 'extracted'])); // at 50 %, 12 shoppers land on both sides
  });

  test('a new shopper gets its strangler_id cookie on the 101 and keeps its side with it', async () => {
    const first = await openWs(proxy.port, '/ws/s/anon');
    const cookie = String(first.upgrade.headers['set-cookie']).split(';')[0];
    expect(cookie).toMatch(/^strangler_id=/);
    const side = first.upgrade.headers['x-strangler-backend'];
    first.ws.close();
    await first.closed;
    for (let i = 0; i < 3; i++) {
      const again = await openWs(proxy.port, '/ws/s/anon', { cookie });
      expect(again.upgrade.headers['x-strangler-backend']).toBe(side);
      expect(again.upgrade.headers['set-cookie']).toBeUndefined();
      again.ws.close();
      await again.closed;
    }
  });
});

describe('closing', () => {
  test('a client that closes: the upstream gets its code and reason, and nothing is left open', async () => {
    const client = await openWs(proxy.port, '/ws/x/close-by-client', { 'x-user-id': 'u-c' });
    await greeting(client);
    const server = svc.accepted[svc.accepted.length - 1];
    const serverSaw = new Promise<[number, string]>((resolve) => server.once('close', (code: number, reason: Buffer) => resolve([code, reason.toString()])));
    client.ws.close(4001, 'bye from the shopper');
    expect(await serverSaw).toEqual([4001, 'bye from the shopper']);
    expect(await client.closed).toEqual({ code: 4001, reason: 'bye from the shopper' });
    await until('the tunnel to be released', async () => (await status()).websockets.open === 0 && svc.openSockets() === 0);
  });

  test('an upstream that closes: the shopper gets its code and reason, and nothing is left open', async () => {
    const client = await openWs(proxy.port, '/ws/l/close-by-upstream', { 'x-user-id': 'u-c' });
    await greeting(client);
    legacy.accepted[legacy.accepted.length - 1].close(4002, 'bye from the shop');
    expect(await client.closed).toEqual({ code: 4002, reason: 'bye from the shop' });
    await until('the tunnel to be released', async () => (await status()).websockets.open === 0 && legacy.openSockets() === 0);
  });

  test('a client that vanishes (reset, no close frame) releases the upstream at once', async () => {
    const client = await openWs(proxy.port, '/ws/x/vanish', { 'x-user-id': 'u-v' });
    await greeting(client);
    const server = svc.accepted[svc.accepted.length - 1];
    const serverClosed = new Promise<number>((resolve) => server.once('close', (code: number) => resolve(code)));
    (client.ws as unknown as { _socket: import('node:net').Socket })._socket.resetAndDestroy();
    expect(await serverClosed).toBe(1006); // the TCP connection went, with no close frame
    await until('the tunnel to be released', async () => (await status()).websockets.open === 0 && svc.openSockets() === 0);
  });
});

test('200 idle WebSockets do not starve HTTP shoppers', async () => {
  const clients: WsClient[] = [];
  try {
    for (let i = 0; i < 200; i += 20) {
      clients.push(...await Promise.all(Array.from({ length: 20 }, (_, j) => openWs(proxy.port, `/ws/${(i + j) % 2 === 0 ? 'x' : 'l'}/idle`, { 'x-user-id': `idle-${i + j}` }))));
    }
    expect((await status()).websockets.open).toBe(200);
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => request({ port: proxy.port, path: `/api/ping-${i}`, headers: { 'x-user-id': `shopper-${i}` } })));
    expect(answers.map((a) => a.status)).toEqual(Array(40).fill(200));
    expect(answers.every((a) => a.headers['x-strangler-backend'] === 'extracted')).toBe(true);
  } finally {
    for (const client of clients) client.ws.close();
    await Promise.all(clients.map((c) => c.closed));
  }
  await until('every idle tunnel to be released', async () => (await status()).websockets.open === 0, 10000);
  expect(await metrics()).toMatch(/strangler_websocket_connections\{route="ws-extracted",backend="extracted"\} 0/);
}, 30000);

describe('other upgrades stay 501 and never reach an upstream', () => {
  test.each([
    ['h2c on a websocket route', handshakeBytes('/ws/x/h2c', { Upgrade: 'h2c', Connection: 'Upgrade, HTTP2-Settings', 'HTTP2-Settings': 'AAMAAABkAARAAAAAAAIAAAAA' })],
    ['an unknown protocol', handshakeBytes('/ws/x/irc', { Upgrade: 'irc/6.9' })],
    ['websocket on a route without websocket: true', handshakeBytes('/ws/plain')],
    ['websocket on an unmatched path', handshakeBytes('/nowhere')],
    ['websocket with a method the route does not take', handshakeBytes('/ws/x/put').replace(/^GET/, 'PUT')],
  ])('%s', async (_name, bytes) => {
    const answer = await rawRequest(proxy.port, bytes);
    expect(answer).toMatch(/^HTTP\/1\.1 501 /);
    expect(answer).toMatch(/connection: close/i);
    expect(answer).toContain('"code":"STRANGLER_ERR_UPGRADE_UNSUPPORTED"');
    expect(svc.handshakes.length + legacy.handshakes.length).toBe(0);
  });
});

describe('malformed or oversized handshakes are refused before any upstream', () => {
  test.each([
    ['no Sec-WebSocket-Key', handshakeBytes('/ws/x/m', { 'Sec-WebSocket-Key': null }), 400, 'STRANGLER_ERR_BAD_HANDSHAKE'],
    ['a key that is not 16 bytes', handshakeBytes('/ws/x/m', { 'Sec-WebSocket-Key': 'c2hvcnQ=' }), 400, 'STRANGLER_ERR_BAD_HANDSHAKE'],
    ['a body that looks like a request', `${handshakeBytes('/ws/x/m', { 'Content-Length': '36' })}GET /smuggled HTTP/1.1\r\nHost: shop\r\n\r\n`, 400, 'STRANGLER_ERR_BAD_HANDSHAKE'],
    ['HTTP/1.0', handshakeBytes('/ws/x/m').replace('HTTP/1.1', 'HTTP/1.0'), 400, 'STRANGLER_ERR_BAD_HANDSHAKE'],
    ['a dot-segment (path safety first)', handshakeBytes('/ws/x/%2e%2e/admin'), 400, 'STRANGLER_ERR_BAD_PATH'],
    ['two Host headers', handshakeBytes('/ws/x/m').replace('Host: shop\r\n', 'Host: shop\r\nHost: other\r\n'), 400, 'STRANGLER_ERR_AMBIGUOUS_REQUEST'],
    ['501 header fields', handshakeBytes('/ws/x/m', Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`x-h${i}`, 'v']))), 431, 'STRANGLER_ERR_TOO_MANY_HEADERS'],
  ])('%s', async (_name, bytes, statusCode, code) => {
    const answer = await rawRequest(proxy.port, bytes);
    expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${statusCode} `));
    expect(answer).toContain(`"code":"${code}"`);
    expect(answer).not.toMatch(/smuggled/);
    expect(svc.handshakes.length + legacy.handshakes.length).toBe(0);
  });

  test('version 8 gets 426 naming version 13', async () => {
    const answer = await rawRequest(proxy.port, handshakeBytes('/ws/x/m', { 'Sec-WebSocket-Version': '8' }));
    expect(answer).toMatch(/^HTTP\/1\.1 426 /);
    expect(answer).toMatch(/sec-websocket-version: 13\r\n/i);
    expect(svc.handshakes).toHaveLength(0);
  });

  test('headers over 16 KB get 431 from the parser', async () => {
    const answer = await rawRequest(proxy.port, handshakeBytes('/ws/x/m', { 'x-big': 'a'.repeat(20000) }));
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(svc.handshakes).toHaveLength(0);
  });
});

describe('a failed upstream handshake is an HTTP error before any 101', () => {
  test('a refused connection is 502 STRANGLER_ERR_UPSTREAM_REFUSED, JSON, marked with route and backend', async () => {
    const refused = await refusedWs(proxy.port, '/ws/refused', { 'x-user-id': 'u-r' });
    expect(refused.status).toBe(502);
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
    expect(refused.headers['x-strangler-route']).toBe('ws-refused');
    expect(refused.headers['x-strangler-backend']).toBe('extracted');
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'STRANGLER_ERR_UPSTREAM_REFUSED', route: 'ws-refused' } });
  });

  test('an upstream that never answers the handshake is 504 at the route\'s timeout_ms', async () => {
    svc.override((_req, socket) => { // takes the handshake and never answers; closes when the proxy does
      socket.on('end', () => socket.destroy());
      socket.resume();
      return true;
    });
    const refused = await refusedWs(proxy.port, '/ws/slow', { 'x-user-id': 'u-s' });
    expect(refused.status).toBe(504);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'STRANGLER_ERR_UPSTREAM_TIMEOUT', route: 'ws-slow' } });
    // The proxy gave up on the upstream's socket too.
    await until('the held handshake to be closed by the proxy', async () => svc.openSockets() === 0);
  });
});

test('the breaker applies: failed handshakes to extracted open it, and the next shoppers are tunnelled to legacy', async () => {
  for (let i = 0; i < 3; i++) expect((await refusedWs(proxy.port, '/ws/breaker', { 'x-user-id': `b-${i}` })).status).toBe(502);
  const client = await openWs(proxy.port, '/ws/breaker', { 'x-user-id': 'b-after' });
  expect(client.upgrade.headers['x-strangler-backend']).toBe('legacy');
  expect(await greeting(client)).toMatchObject({ servedBy: 'legacy' });
  client.ws.close();
  await client.closed;
  const line = await until('the access line', () => proxy.accessLines().find((l) => l.route === 'ws-breaker' && l.status === 101));
  expect(line).toMatchObject({ reason: 'breaker', side: 'legacy' });
});

test('shutdown sends close code 1001 to every shopper and ends the upstream side', async () => {
  const own = await startTestProxy(rules(await closedPort()));
  try {
    const clients = await Promise.all([openWs(own.port, '/ws/x/bye', { 'x-user-id': 'a' }), openWs(own.port, '/ws/l/bye', { 'x-user-id': 'b' })]);
    await Promise.all(clients.map(greeting));
    const servers = [svc.accepted[svc.accepted.length - 1], legacy.accepted[legacy.accepted.length - 1]];
    const serversSaw = servers.map((ws) => new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code))));
    const stopped = own.stop();
    expect(await Promise.all(clients.map((c) => c.closed))).toEqual([{ code: 1001, reason: 'proxy shutting down' }, { code: 1001, reason: 'proxy shutting down' }]);
    expect(await Promise.all(serversSaw)).toEqual([1001, 1001]);
    expect(await stopped).toBe(0);
  } finally {
    await own.stop();
  }
});

test('metrics, /status and the access line count every handshake', async () => {
  const client = await openWs(proxy.port, '/ws/x/metrics', { 'x-user-id': 'u-m' });
  await greeting(client);
  expect((await status()).websockets.open).toBe(1);
  expect((await status()).routes.find((r) => r.name === 'ws-extracted')?.websocket).toBe(true);
  expect(await metrics()).toMatch(/strangler_websocket_connections\{route="ws-extracted",backend="extracted"\} 1/);
  client.ws.close();
  await client.closed;
  await refusedWs(proxy.port, '/ws/refused', { 'x-user-id': 'u-m' });
  await rawRequest(proxy.port, handshakeBytes('/ws/x/m', { 'Sec-WebSocket-Key': null }));
  const text = await metrics();
  expect(text).toMatch(/strangler_websocket_upgrades_total\{route="ws-extracted",backend="extracted",result="ok"\} [1-9]/);
  expect(text).toMatch(/strangler_websocket_upgrades_total\{route="ws-refused",backend="extracted",result="refused"\} [1-9]/);
  expect(text).toMatch(/strangler_websocket_upgrades_total\{route="ws-extracted",backend="none",result="rejected"\} [1-9]/);
  const lines = await until('the access lines', () => {
    const found = proxy.accessLines().filter((l) => l.upgrade === 'websocket');
    return found.some((l) => l.path === '/ws/x/metrics') ? found : null;
  });
  expect(lines.find((l) => l.path === '/ws/x/metrics')).toMatchObject({ status: 101, route: 'ws-extracted', backend: 'extracted', side: 'extracted', method: 'GET' });
  expect(lines.find((l) => l.status === 502)).toMatchObject({ route: 'ws-refused', code: 'STRANGLER_ERR_UPSTREAM_REFUSED' });
});
