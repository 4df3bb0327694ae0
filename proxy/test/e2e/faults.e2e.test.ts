/**
 * Dying, slow and misbehaving upstreams and clients, through the TCP fault proxy
 * (scripts/testing/fault-proxy.ts, toxiproxy's toxics) placed between the real proxy process and
 * extracted. Every test ends by checking the proxy process is alive and logged no crash.
 */
import http from 'node:http';
import net from 'node:net';
import { request } from '../../../scripts/testing/http-client';
import { startFaultProxy, type FaultProxy } from '../../../scripts/testing/fault-proxy';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';
import { startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';

let legacy: TestUpstream;
let svc: TestUpstream;
let fault: FaultProxy;
let proxy: TestProxy;

const TIMEOUT_MS = 500;

beforeAll(async () => {
  [legacy, svc] = await Promise.all([startUpstream('legacy'), startUpstream('svc')]);
  fault = await startFaultProxy(svc.port);
  proxy = await startTestProxy(`version: 1
upstreams: { legacy: "${legacy.url}", svc: "http://127.0.0.1:${fault.port}" }
defaults: { sticky_by: [header:x-user-id], timeout_ms: ${TIMEOUT_MS} }
routes:
  - { name: items, match: { path: /api/items/:id }, extracted: svc, percent: 100, fallback: legacy }
  - { name: orders, match: { methods: [POST], path: /api/orders }, extracted: svc, percent: 100, fallback: legacy }
`, { STRANGLER_HEADERS_TIMEOUT_MS: '1000', STRANGLER_REQUEST_TIMEOUT_MS: '1500' });
}, 20000);

afterAll(async () => {
  const code = await proxy.stop();
  await fault.close();
  await Promise.all([legacy.close(), svc.close()]);
  expect(code).toBe(0);
});

beforeEach(() => {
  legacy.seen.length = 0;
  svc.seen.length = 0;
  svc.handle(null);
  fault.toxic = { kind: 'none' };
});
afterEach(() => expectNoCrash(proxy));

const get = (path = '/api/items/1') => request({ port: proxy.port, path, headers: { 'x-user-id': 'u1' } });
const post = (body = '{"sku":"A-1"}', headers: Record<string, string> = {}) =>
  request({ port: proxy.port, path: '/api/orders', method: 'POST', body, headers: { 'x-user-id': 'u1', 'content-type': 'application/json', ...headers } });
const errorCode = (body: string): string => (JSON.parse(body) as { error: { code: string } }).error.code;

/** A GET whose response bytes and timing the test watches: resolves when it ends, aborts or hangs. */
function watchGet(path: string): Promise<{ outcome: 'complete' | 'aborted' | 'hung'; bytes: number; lastByteAt: number; endedAt: number }> {
  return new Promise((resolve) => {
    let bytes = 0;
    let lastByteAt = 0;
    let settled = false;
    const done = (outcome: 'complete' | 'aborted' | 'hung'): void => {
      if (settled) return;
      settled = true;
      resolve({ outcome, bytes, lastByteAt, endedAt: Date.now() });
    };
    const req = http.get({ port: proxy.port, host: '127.0.0.1', path, headers: { 'x-user-id': 'u1' }, agent: false }, (res) => {
      res.on('data', (chunk: Buffer) => { bytes += chunk.length; lastByteAt = Date.now(); });
      res.on('end', () => done(res.complete ? 'complete' : 'aborted'));
      res.on('aborted', () => done('aborted'));
      res.on('error', () => done('aborted'));
    });
    req.on('error', () => done('aborted'));
    setTimeout(() => { req.destroy(); done('hung'); }, 5000);
  });
}

function bigBody(size: number): string {
  return JSON.stringify({ filler: 'x'.repeat(size) });
}

describe('an upstream that never answers (blackhole)', () => {
  test('a GET falls back to legacy at the deadline; a POST without a key gets 504 and legacy never sees it', async () => {
    fault.toxic = { kind: 'blackhole' };
    const started = Date.now();
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers['x-strangler-backend']).toBe('legacy-fallback');
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    const write = await post();
    expect(write.status).toBe(504);
    expect(errorCode(write.body)).toBe('STRANGLER_ERR_UPSTREAM_TIMEOUT');
    expect(legacy.seen.filter((r) => r.method === 'POST')).toHaveLength(0);
  });
});

describe('an upstream that resets after it read the request', () => {
  test('a POST without a key gets 502 and is never sent again, to either side', async () => {
    fault.toxic = { kind: 'reset', afterMs: 30 };
    svc.handle(() => undefined); // reads the body, never answers; the reset comes first
    const res = await post('{"sku":"A-2","qty":1}');
    expect(res.status).toBe(502);
    expect(errorCode(res.body)).toBe('STRANGLER_ERR_UPSTREAM_RESET');
    await new Promise((r) => setTimeout(r, 200));
    expect(svc.seen.filter((r) => r.method === 'POST').map((r) => r.body)).toEqual(['{"sku":"A-2","qty":1}']);
    expect(legacy.seen).toHaveLength(0);
  });

  test('a GET is retried once on legacy', async () => {
    fault.toxic = { kind: 'reset', afterMs: 30 };
    svc.handle(() => undefined);
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers['x-strangler-backend']).toBe('legacy-fallback');
    expect(legacy.seen).toHaveLength(1);
  });
});

describe('an upstream that dies mid-body (limit-data)', () => {
  test('the shopper sees an abort soon after the cut (not at a timeout), never a complete-looking 200, and nothing is retried', async () => {
    const body = bigBody(200_000);
    svc.handle((_req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body); });
    fault.toxic = { kind: 'limitData', bytes: 30_000 };
    const seen = await watchGet('/api/items/2');
    expect(seen.outcome).toBe('aborted');
    expect(seen.bytes).toBeLessThan(Buffer.byteLength(body));
    // At once in practice (a few ms); the bound only has to tell it from a timeout, seconds away,
    // without failing on a loaded machine.
    expect(seen.endedAt - seen.lastByteAt).toBeLessThan(2000);
    expect(legacy.seen).toHaveLength(0);
  });
});

describe('slow and sliced upstream bytes', () => {
  test('a response cut into 7-byte slices arrives whole and identical', async () => {
    const body = bigBody(3000);
    svc.handle((_req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body); });
    fault.toxic = { kind: 'slicer', size: 7, delayMs: 0 };
    const res = await get('/api/items/3');
    expect(res.status).toBe(200);
    expect(res.body).toBe(body);
    expect(res.headers['x-strangler-backend']).toBe('extracted');
  });

  test('a body slower than the deadline still streams through: the deadline covers the wait for headers, not a long body', async () => {
    const body = bigBody(96 * 1024);
    svc.handle((_req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body); });
    fault.toxic = { kind: 'bandwidth', bytesPerSecond: 96 * 1024 }; // about one second for the body
    const res = await get('/api/items/4');
    expect(res.status).toBe(200);
    expect(res.body).toBe(body);
  });

  test('latency under the deadline is served by extracted; over it, a GET falls back', async () => {
    fault.toxic = { kind: 'latency', ms: 100 };
    expect((await get()).headers['x-strangler-backend']).toBe('extracted');
    fault.toxic = { kind: 'latency', ms: TIMEOUT_MS + 300 };
    expect((await get()).headers['x-strangler-backend']).toBe('legacy-fallback');
  });

  test('an upstream that closes slowly does not hold a complete response back', async () => {
    svc.handle((_req, res) => { res.writeHead(200, { 'content-type': 'application/json', connection: 'close', 'content-length': 2 }); res.end('{}'); });
    fault.toxic = { kind: 'slowClose', ms: 3000 };
    const started = Date.now();
    const res = await get('/api/items/5');
    expect(res.status).toBe(200);
    expect(res.body).toBe('{}');
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe('keep-alive idle races', () => {
  test('an upstream closing idle sockets just as they are reused never turns a GET into a 5xx', async () => {
    // Its own upstream: Node closes idle keep-alive sockets after 40 ms; we send at 20..60 ms gaps.
    const racy = http.createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"ok":true}'); });
    racy.keepAliveTimeout = 40;
    await new Promise<void>((resolve) => racy.listen(0, '127.0.0.1', () => resolve()));
    const port = (racy.address() as net.AddressInfo).port;
    const racyProxy = await startTestProxy(`version: 1
upstreams: { legacy: "${legacy.url}", svc: "http://127.0.0.1:${port}" }
defaults: { sticky_by: [header:x-user-id] }
routes:
  - { name: items, match: { path: /api/items/:id }, extracted: svc, percent: 100 }
`);
    try {
      const statuses: number[] = [];
      const deadline = Date.now() + 6000; // bounded in time
      for (let i = 0; i < 120 && Date.now() < deadline; i++) {
        const res = await request({ port: racyProxy.port, path: `/api/items/${i}`, headers: { 'x-user-id': 'u1', connection: 'keep-alive' } });
        statuses.push(res.status);
        await new Promise((r) => setTimeout(r, 20 + (i % 5) * 10));
      }
      expect(statuses.length).toBeGreaterThan(60);
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      expectNoCrash(racyProxy);
    } finally {
      await racyProxy.stop();
      await new Promise((resolve) => racy.close(resolve));
    }
  }, 20000);
});

describe('malformed upstream responses', () => {
  test.each([
    ['a status line that is not HTTP', 'HTCPCP/1.0 418 TEAPOT\r\n\r\n'],
    ['a non-numeric Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n{}'],
    ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x'],
    ['a header with no colon', 'HTTP/1.1 200 OK\r\nbroken header\r\nContent-Length: 2\r\n\r\n{}'],
  ])('%s → 502 for a write that cannot be retried, and the socket is never pooled', async (_name, answer) => {
    let connections = 0;
    const bad = net.createServer((socket) => {
      connections++;
      socket.on('error', () => undefined);
      socket.once('data', () => socket.write(answer));
    });
    await new Promise<void>((resolve) => bad.listen(0, '127.0.0.1', () => resolve()));
    const badProxy = await startTestProxy(`version: 1
upstreams: { legacy: "${legacy.url}", svc: "http://127.0.0.1:${(bad.address() as net.AddressInfo).port}" }
routes:
  - { name: orders, match: { methods: [POST], path: /api/orders }, extracted: svc, percent: 100 }
`);
    try {
      for (let i = 1; i <= 2; i++) {
        const res = await request({ port: badProxy.port, path: '/api/orders', method: 'POST', body: '{}', headers: { 'x-user-id': 'u1' } });
        expect(res.status).toBe(502);
        expect(['STRANGLER_ERR_UPSTREAM_MALFORMED', 'STRANGLER_ERR_UPSTREAM_RESET']).toContain(errorCode(res.body));
        // Each request needed a fresh connection: the broken one was not put back in the pool.
        expect(connections).toBe(i);
      }
      expectNoCrash(badProxy);
    } finally {
      await badProxy.stop();
      await new Promise((resolve) => bad.close(resolve));
    }
  });
});

describe('slow clients', () => {
  /** Opens a connection that sends `head` one byte every `gapMs`; resolves when the proxy closes it. */
  function dribble(head: string, gapMs: number): Promise<{ closedAfterMs: number; answer: string }> {
    return new Promise((resolve) => {
      const started = Date.now();
      const socket = net.connect(proxy.port, '127.0.0.1');
      let answer = '';
      let at = 0;
      const timer = setInterval(() => {
        if (at < head.length && socket.writable) socket.write(head[at++]);
      }, gapMs);
      socket.on('data', (d) => { answer += d; });
      socket.on('error', () => undefined);
      socket.on('close', () => { clearInterval(timer); resolve({ closedAfterMs: Date.now() - started, answer }); });
      setTimeout(() => socket.destroy(), 8000);
    });
  }

  test('slowloris: 40 connections dribbling headers are closed after the headers timeout; other shoppers are served meanwhile', async () => {
    const head = 'GET /api/items/1 HTTP/1.1\r\nHost: shop\r\nX-Slow: ' + 'a'.repeat(200);
    const slow = Array.from({ length: 40 }, () => dribble(head, 100));
    const others: number[] = [];
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      others.push((await get()).status);
      await new Promise((r) => setTimeout(r, 50));
    }
    const closed = await Promise.all(slow);
    expect(others.every((s) => s === 200)).toBe(true);
    expect(others.length).toBeGreaterThan(10);
    for (const c of closed) {
      // 1 s headers timeout, checked every 250 ms; never the 8 s the test would wait.
      expect(c.closedAfterMs).toBeLessThan(3000);
      expect(c.answer === '' || /^HTTP\/1\.1 408/.test(c.answer)).toBe(true);
    }
    expect(svc.seen.filter((r) => r.headers['x-slow'] !== undefined)).toHaveLength(0);
  });

  test('a slow body is cut at the request timeout, and the upstream request is released with it', async () => {
    let upstreamSawRequest = false;
    let upstreamReleasedAt = 0;
    const upstream = http.createServer((req) => {
      upstreamSawRequest = true;
      req.socket.once('close', () => { upstreamReleasedAt = Date.now(); });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve()));
    const slowProxy = await startTestProxy(`version: 1
upstreams: { legacy: "${legacy.url}", svc: "http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}" }
routes:
  - { name: orders, match: { methods: [POST], path: /api/orders }, extracted: svc, percent: 100, timeout_ms: 10000 }
`, { STRANGLER_HEADERS_TIMEOUT_MS: '1000', STRANGLER_REQUEST_TIMEOUT_MS: '1500' });
    try {
      const started = Date.now();
      const socket = net.connect(slowProxy.port, '127.0.0.1', () => socket.write('POST /api/orders HTTP/1.1\r\nHost: shop\r\nx-user-id: u1\r\nContent-Length: 1000\r\n\r\n'));
      socket.on('error', () => undefined);
      let answer = '';
      socket.on('data', (d) => { answer += d; });
      const drip = setInterval(() => { if (socket.writable) socket.write('x'); }, 100);
      const stop = setTimeout(() => socket.destroy(), 8000);
      // The proxy's end of the connection: its FIN ('end'), or the close if it reset.
      const closedAt = await new Promise<number>((resolve) => { socket.once('end', () => resolve(Date.now())); socket.once('close', () => resolve(Date.now())); });
      clearInterval(drip);
      clearTimeout(stop);
      socket.destroy();
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      // 1.5 s request timeout, checked every 250 ms; never the 8 s the test would wait.
      expect(closedAt - started).toBeGreaterThanOrEqual(1400);
      expect(closedAt - started).toBeLessThan(3000);
      expect(upstreamSawRequest).toBe(true);
      await new Promise((r) => setTimeout(r, 300));
      expect(upstreamReleasedAt).toBeGreaterThan(0);
      // Released with the shopper's connection, not at the upstream's own timeout (never, here).
      expect(upstreamReleasedAt - closedAt).toBeLessThan(2000);
      expect((await request({ port: slowProxy.port, path: '/other', headers: { 'x-user-id': 'u2' } })).status).toBe(200);
      expectNoCrash(slowProxy);
    } finally {
      await slowProxy.stop();
      upstream.closeAllConnections();
      await new Promise((resolve) => upstream.close(resolve));
    }
  });
});
