import http from 'node:http';
import net from 'node:net';
import { rawRequest, request } from '../../../scripts/testing/http-client';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';
import { closedPort, oneRouteRules, startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';

let legacy: TestUpstream;
let svc: TestUpstream;
let refusedProxy: TestProxy;
let svcProxy: TestProxy;

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  const route = `match: { path: /api/x }\npercent: 100\ntimeout_ms: 400\nfallback_on: [503]`;
  refusedProxy = await startTestProxy(oneRouteRules(legacy.url, `http://127.0.0.1:${await closedPort()}`, route));
  svcProxy = await startTestProxy(oneRouteRules(legacy.url, svc.url, route));
}, 20000);
afterAll(async () => {
  // Close everything first, then judge: a failed assertion must not leave processes behind.
  const codes = await Promise.all([refusedProxy, svcProxy].map((p) => p.stop()));
  await Promise.all([legacy.close(), svc.close()]);
  expect(codes).toEqual([0, 0]); // nothing crashed either proxy process
  for (const p of [refusedProxy, svcProxy]) expect(p.process.lines.join('\n')).not.toMatch(/uncaught|unhandled/i);
});
beforeEach(() => { legacy.seen.length = 0; svc.seen.length = 0; svc.handle(null); });
afterEach(() => { expectNoCrash(refusedProxy); expectNoCrash(svcProxy); });

const send = (proxy: TestProxy, method: string, headers: Record<string, string> = {}, body?: string) =>
  request({ port: proxy.port, path: '/api/x', method, headers: { 'x-user-id': 'u1', ...headers }, body });

describe('extracted refused the connection', () => {
  test('GET, HEAD and OPTIONS are retried once on legacy and marked legacy-fallback', async () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      const res = await send(refusedProxy, method);
      expect(res.status).toBe(200);
      expect(res.headers['x-strangler-backend']).toBe('legacy-fallback');
    }
    expect(legacy.seen.map((s) => s.method)).toEqual(['GET', 'HEAD', 'OPTIONS']);
  });
  test('a POST without Idempotency-Key gets 502 JSON and is never replayed', async () => {
    const res = await send(refusedProxy, 'POST', { 'content-type': 'application/json' }, '{"order":1}');
    expect(res.status).toBe(502);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('STRANGLER_ERR_UPSTREAM_REFUSED');
    expect(res.headers['x-strangler-backend']).toBe('extracted');
    expect(legacy.seen).toHaveLength(0);
  });
  test('a POST with Idempotency-Key is retried on legacy with its body intact', async () => {
    const res = await send(refusedProxy, 'POST', { 'content-type': 'application/json', 'idempotency-key': 'k-1' }, '{"order":2}');
    expect(res.status).toBe(200);
    expect(res.headers['x-strangler-backend']).toBe('legacy-fallback');
    expect(legacy.seen[0]).toMatchObject({ method: 'POST', body: '{"order":2}' });
    expect(legacy.seen[0].headers['idempotency-key']).toBe('k-1');
  });
});

describe('extracted timed out (no response headers within timeout_ms)', () => {
  test('GET falls back to legacy; POST without a key gets 504 and legacy never sees it', async () => {
    svc.handle(() => undefined); // never answers
    const get = await send(svcProxy, 'GET');
    expect(get.status).toBe(200);
    expect(get.headers['x-strangler-backend']).toBe('legacy-fallback');
    const post = await send(svcProxy, 'POST', {}, 'x');
    expect(post.status).toBe(504);
    expect(post.json<{ error: { code: string } }>().error.code).toBe('STRANGLER_ERR_UPSTREAM_TIMEOUT');
    expect(legacy.seen.map((s) => s.method)).toEqual(['GET']);
  });
});

describe('extracted answered with a fallback_on status', () => {
  test('GET is retried on legacy; POST gets 502 naming the upstream status', async () => {
    svc.handle((_req, res) => { res.writeHead(503, { 'content-type': 'text/plain' }); res.end('overloaded'); });
    const get = await send(svcProxy, 'GET');
    expect(get.headers['x-strangler-backend']).toBe('legacy-fallback');
    const post = await send(svcProxy, 'POST', {}, 'x');
    expect(post.status).toBe(502);
    expect(post.json<{ error: { code: string; upstreamStatus: number } }>().error).toMatchObject({ code: 'STRANGLER_ERR_UPSTREAM_STATUS', upstreamStatus: 503 });
    expect(legacy.seen.map((s) => s.method)).toEqual(['GET']);
  });
  test('a status not in fallback_on is passed through as the answer', async () => {
    svc.handle((_req, res) => { res.writeHead(500, { 'content-type': 'text/plain' }); res.end('bug'); });
    const get = await send(svcProxy, 'GET');
    expect(get.status).toBe(500);
    expect(get.headers['x-strangler-backend']).toBe('extracted');
    expect(legacy.seen).toHaveLength(0);
  });
});

describe('an upstream that dies mid-response', () => {
  test('the shopper sees an aborted response, never a complete-looking 200', async () => {
    svc.handle((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"partial":');
      setTimeout(() => req.socket.destroy(), 20);
    });
    const outcome = await new Promise<string>((resolve) => {
      const req = http.get({ port: svcProxy.port, path: '/api/x', headers: { 'x-user-id': 'u1' }, agent: false }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve('complete'));
        res.on('error', () => resolve('aborted'));
        res.on('aborted', () => resolve('aborted'));
      });
      req.on('error', () => resolve('aborted'));
      setTimeout(() => resolve('hung'), 3000);
    });
    expect(outcome).toBe('aborted');
    expect(legacy.seen).toHaveLength(0); // a started response is never retried
  });
});

describe('a shopper who goes away', () => {
  test('releases the upstream request at once (http-proxy #1586)', async () => {
    let upstreamClosed: () => void = () => undefined;
    const closed = new Promise<number>((resolve) => { upstreamClosed = () => resolve(Date.now()); });
    svc.handle((req) => { req.socket.once('close', () => upstreamClosed()); });
    const socket = net.connect(svcProxy.port, '127.0.0.1', () => socket.write('GET /api/x HTTP/1.1\r\nHost: x\r\nx-user-id: u1\r\n\r\n'));
    await new Promise((r) => setTimeout(r, 150));
    const left = Date.now();
    socket.destroy();
    // Without the fix the upstream request is never released; the bound is loose for loaded machines.
    const at = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 5000))]);
    expect(at).not.toBe(-1);
    expect(at - left).toBeLessThan(2000);
  });
});

describe("http-proxy 1.18.1's known defects do not reach shoppers", () => {
  test('a Trailer request header does not crash the proxy', async () => {
    const res = await rawRequest(svcProxy.port, 'POST /api/x HTTP/1.1\r\nHost: x\r\nx-user-id: u1\r\nTrailer: x-foo\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi');
    expect(res).toMatch(/^HTTP\/1\.1 200/);
    expect(svc.seen[0].headers.trailer).toBeUndefined();
    expect((await send(svcProxy, 'GET')).status).toBe(200); // still alive
  });
  test('Expect: 100-continue does not bypass header stripping', async () => {
    const res = await new Promise<string>((resolve) => {
      const socket = net.connect(svcProxy.port, '127.0.0.1', () => socket.write('POST /api/x HTTP/1.1\r\nHost: x\r\nx-user-id: u1\r\nExpect: 100-continue\r\nx-strangler-shadow: 1\r\nConnection: close, x-hop\r\nx-hop: 1\r\nContent-Length: 2\r\n\r\n'));
      let data = '';
      socket.on('data', (d) => { data += d; if (data.includes('100 Continue') && !data.includes('hi-sent')) { data += 'hi-sent'; socket.write('hi'); } });
      socket.on('close', () => resolve(data));
    });
    expect(res).toMatch(/HTTP\/1\.1 200/);
    const seen = svc.seen[0];
    expect(seen.body).toBe('hi');
    expect(seen.headers.expect).toBeUndefined();
    expect(seen.headers['x-strangler-shadow']).toBeUndefined();
    expect(seen.headers['x-hop']).toBeUndefined();
  });
});

describe('one deadline covers the wait for a pooled socket', () => {
  test('with the pool full, a queued request times out at its deadline with 504 and is never sent later', async () => {
    // One socket to legacy (here: svc). /slow-1 may wait 3 s and holds it for 1.5 s; /slow-2 has 300 ms.
    const rules = oneRouteRules(svc.url, legacy.url, 'match: { path: /slow-1 }\ntimeout_ms: 3000').replace('routes:', 'defaults: { timeout_ms: 300 }\nroutes:');
    const pooled = await startTestProxy(rules, { STRANGLER_MAX_SOCKETS: '1' });
    svc.handle((_req, res) => { setTimeout(() => { res.writeHead(200); res.end('slow'); }, 1500); });
    let firstAt = 0;
    const first = request({ port: pooled.port, path: '/slow-1', method: 'POST', body: 'a' }).then((res) => { firstAt = Date.now(); return res; });
    await new Promise((r) => setTimeout(r, 50));
    const second = await request({ port: pooled.port, path: '/slow-2', method: 'POST', body: 'b' });
    const secondAt = Date.now();
    expect(second.status).toBe(504);
    expect(second.json<{ error: { code: string } }>().error.code).toBe('STRANGLER_ERR_UPSTREAM_TIMEOUT');
    // Answered at its own 300 ms deadline, before the socket it waited for is free (1.5 s).
    expect((await first).status).toBe(200);
    expect(secondAt).toBeLessThan(firstAt);
    // The socket is free now; the request that already got its 504 must not go out on it.
    await new Promise((r) => setTimeout(r, 300));
    expect(svc.seen.map((s) => s.url)).toEqual(['/slow-1']);
    expect(await pooled.stop()).toBe(0);
  });
});
