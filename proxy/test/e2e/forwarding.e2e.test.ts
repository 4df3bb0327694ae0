import { bucketOf } from '../../decide/bucket';
import { rawRequest, request } from '../../../scripts/testing/http-client';
import { startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';

let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  proxy = await startTestProxy(`version: 1
upstreams:
  legacy: ${legacy.url}
  svc: ${svc.url}
routes:
  - name: half
    match: { methods: [GET, POST], path: /api/half/:id }
    extracted: svc
    percent: 50
    group: shop
  - name: half-too
    match: { methods: [GET], path: /api/also/:id }
    extracted: svc
    percent: 50
    group: shop
  - name: all
    match: { path: /api/all }
    extracted: svc
    percent: 100
`, { STRANGLER_OVERRIDE_TOKEN: 'tok-123' });
}, 20000);
afterAll(async () => {
  await proxy.stop();
  await Promise.all([legacy.close(), svc.close()]);
});
beforeEach(() => { legacy.seen.length = 0; svc.seen.length = 0; });

const get = (path: string, headers: Record<string, string> = {}) => request({ port: proxy.port, path, headers });

describe('choosing a side', () => {
  test('the same identity always gets the side its bucket says, and a group moves shoppers together', async () => {
    for (let i = 0; i < 40; i++) {
      const id = `shopper-${i}`;
      const expected = bucketOf('shop', id) <= 50 ? 'extracted' : 'legacy';
      const a = await get('/api/half/1', { 'x-user-id': id });
      const b = await get('/api/half/2', { cookie: `strangler_id=${id}` });
      const c = await get('/api/also/3', { 'x-user-id': id });
      expect([a.headers['x-strangler-backend'], b.headers['x-strangler-backend'], c.headers['x-strangler-backend']]).toEqual([expected, expected, expected]);
      expect(a.json<{ servedBy: string }>().servedBy).toBe(expected === 'extracted' ? 'svc' : 'legacy');
    }
  });

  test('a new shopper gets a strangler_id cookie on the first response, and that id decided it', async () => {
    const first = await get('/api/half/1');
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(/^strangler_id=[0-9a-f-]{36}; Path=\/; Max-Age=31536000; HttpOnly; SameSite=Lax$/);
    const id = /strangler_id=([^;]+)/.exec(cookie)![1];
    expect(first.headers['x-strangler-backend']).toBe(bucketOf('shop', id) <= 50 ? 'extracted' : 'legacy');
    const again = await get('/api/half/1', { cookie: `strangler_id=${id}` });
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(again.headers['x-strangler-backend']).toBe(first.headers['x-strangler-backend']);
  });

  test('every response says where it came from; unmatched goes to legacy', async () => {
    const unmatched = await get('/elsewhere', { 'x-user-id': 'u' });
    expect(unmatched.headers['x-strangler-backend']).toBe('legacy');
    expect(unmatched.headers['x-strangler-route']).toBe('(unmatched)');
    const all = await get('/api/all', { 'x-user-id': 'u' });
    expect(all.headers).toMatchObject({ 'x-strangler-backend': 'extracted', 'x-strangler-route': 'all' });
  });

  test('a tester override needs the right token; both headers never reach the upstream', async () => {
    const forced = await get('/api/all', { 'x-user-id': 'u', 'x-strangler-force': 'legacy', 'x-strangler-token': 'tok-123' });
    expect(forced.headers['x-strangler-backend']).toBe('legacy');
    const wrong = await get('/api/all', { 'x-user-id': 'u', 'x-strangler-force': 'legacy', 'x-strangler-token': 'tok-124' });
    expect(wrong.headers['x-strangler-backend']).toBe('extracted');
    for (const seen of [...legacy.seen, ...svc.seen]) {
      expect(Object.keys(seen.headers).filter((h) => h.startsWith('x-strangler-'))).toEqual([]);
    }
  });
});

describe('what the upstream sees', () => {
  test('the matched path is forwarded as-is, with forwarded headers set by the proxy', async () => {
    await get('/api/all?q=a%20b&x=1', {
      'x-user-id': 'u', 'x-forwarded-for': '6.6.6.6', 'x-forwarded-host': 'evil.example', 'x-strangler-shadow': '1',
      connection: 'keep-alive, x-drop-me', 'x-drop-me': 'secret', via: '1.0 edge',
    });
    const seen = svc.seen[0];
    expect(seen.url).toBe('/api/all?q=a%20b&x=1');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-host']).toBe(`127.0.0.1:${proxy.port}`);
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers.via).toBe('1.0 edge, 1.1 strangler');
    expect(seen.headers['x-drop-me']).toBeUndefined();
    expect(seen.headers['x-strangler-shadow']).toBeUndefined();
    expect(seen.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  test('x-request-id and traceparent are propagated; Connection cannot remove them', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const res = await get('/api/all', { 'x-user-id': 'u', 'x-request-id': 'req-42', traceparent, connection: 'x-request-id, traceparent' });
    expect(svc.seen[0].headers['x-request-id']).toBe('req-42');
    expect(svc.seen[0].headers.traceparent).toBe(traceparent);
    expect(res.status).toBe(200);
  });

  test('request bodies stream through unchanged', async () => {
    const body = JSON.stringify({ big: 'x'.repeat(200_000) });
    const res = await request({ port: proxy.port, path: '/api/all', method: 'POST', body, headers: { 'content-type': 'application/json', 'x-user-id': 'u' } });
    expect(res.status).toBe(200);
    expect(svc.seen[0].body).toBe(body);
  });

  test('hop-by-hop headers from the upstream do not reach the shopper', async () => {
    svc.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', connection: 'keep-alive, x-private', 'x-private': 'internal', 'keep-alive': 'timeout=5', 'x-strangler-backend': 'spoofed' });
      res.end('ok');
    });
    const res = await get('/api/all', { 'x-user-id': 'u' });
    svc.handle(null);
    expect(res.headers['x-private']).toBeUndefined();
    expect(res.headers['x-strangler-backend']).toBe('extracted');
    expect(res.headers.via).toBe('1.1 strangler');
  });
});

describe('requests that are never routed by a guess', () => {
  test.each(['/api/../all', '/api/%2e%2e/all', '/api%2fall', '/api%5call', '/api\\all', '//api/all', '/api/%zz'])('%s -> 400 JSON, no upstream reached', async (path) => {
    const res = await rawRequest(proxy.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(res).toMatch(/^HTTP\/1\.1 400/);
    expect(res).toContain('STRANGLER_ERR_BAD_PATH');
    expect(legacy.seen.length + svc.seen.length).toBe(0);
  });

  test('absolute-form targets are refused', async () => {
    const res = await rawRequest(proxy.port, `GET http://evil.example/api/all HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`);
    expect(res).toMatch(/^HTTP\/1\.1 400/);
    expect(legacy.seen.length + svc.seen.length).toBe(0);
  });

  test('Upgrade requests get 501 and never reach an upstream', async () => {
    const res = await rawRequest(proxy.port, 'GET /api/all HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    expect(res).toMatch(/^HTTP\/1\.1 501/);
    expect(legacy.seen.length + svc.seen.length).toBe(0);
  });
});

describe('observability', () => {
  test('one JSON access line per request with request id, route, side, bucket, status and ms; no cookies', async () => {
    await get('/api/half/9', { 'x-user-id': 'log-me', 'x-request-id': 'access-1', cookie: 'sid=topsecretcookie' });
    const line = await proxy.process.waitForLine((l) => l.includes('"reqId":"access-1"'));
    const entry = JSON.parse(line);
    expect(entry).toMatchObject({ msg: 'request', reqId: 'access-1', route: 'half', bucket: bucketOf('shop', 'log-me'), status: 200 });
    expect(['legacy', 'extracted']).toContain(entry.side);
    expect(typeof entry.ms).toBe('number');
    expect(proxy.process.lines.join('\n')).not.toContain('topsecretcookie');
  });

  test('metrics by route and backend; /status shows the observed split', async () => {
    for (let i = 0; i < 10; i++) await get('/api/all', { 'x-user-id': `m${i}` });
    const metrics = await request({ port: proxy.adminPort, path: '/metrics' });
    expect(metrics.body).toMatch(/strangler_requests_total\{route="all",backend="extracted",code="200"\} \d+/);
    expect(metrics.body).toMatch(/strangler_request_duration_seconds_bucket\{le="0.005",route="all",backend="extracted"\}/);
    expect(metrics.body).toMatch(/strangler_route_percent\{route="half"\} 50/);
    expect(metrics.body).toContain('process_cpu_user_seconds_total');
    const status = (await request({ port: proxy.adminPort, path: '/status' })).json<{ routes: Array<{ name: string; percent: number; percentSource: string; observed: { extracted: number; legacy: number; total: number; extractedShare: number } }> }>();
    const all = status.routes.find((r) => r.name === 'all')!;
    expect(all).toMatchObject({ percent: 100, percentSource: 'yaml' });
    expect(all.observed.extracted).toBeGreaterThanOrEqual(10);
    expect(all.observed.legacy).toBe(1); // the one request a tester forced to legacy above
    expect(all.observed.extractedShare).toBeCloseTo(all.observed.extracted / all.observed.total, 3);
  });
});
