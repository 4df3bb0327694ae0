import http from 'node:http';
import { rawRequest, request } from '../../../scripts/testing/http-client';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';
import { startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';

/** Hostile input the proxy must refuse without crashing, and without anything reaching an upstream. */
let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  proxy = await startTestProxy(`version: 1
upstreams: { legacy: "${legacy.url}", svc: "${svc.url}" }
routes:
  - { name: products, match: { path: /api/products/:id }, extracted: svc, percent: 50 }
`);
}, 20000);
afterAll(async () => {
  const code = await proxy.stop();
  await Promise.all([legacy.close(), svc.close()]);
  expect(code).toBe(0);
});
beforeEach(() => { legacy.seen.length = 0; svc.seen.length = 0; });
afterEach(() => expectNoCrash(proxy));

const seenUpstream = (): number => legacy.seen.length + svc.seen.length;

describe('request smuggling framing is refused (RFC 9112 §6.3)', () => {
  test.each([
    ['CL.TE: Content-Length and Transfer-Encoding together', 'POST /api/products/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['duplicate, different Content-Length', 'POST /api/products/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde'],
    ['TE.TE obfuscation', 'POST /api/products/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n'],
    ['invalid Content-Length', 'POST /api/products/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\na'],
    ['missing Host', 'GET /api/products/1 HTTP/1.1\r\n\r\n'],
    ['bare LF in a header', 'GET /api/products/1 HTTP/1.1\r\nHost: x\r\nX-A: a\nX-B: b\r\n\r\n'],
  ])('%s → 400 and closed, nothing reaches an upstream', async (_name, bytes) => {
    const answer = await rawRequest(proxy.port, bytes);
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(answer).not.toMatch(/HTTP\/1\.1 200/);
    expect(seenUpstream()).toBe(0);
  });
});

describe('oversized input', () => {
  test('headers over 16 KB get 431 and the proxy keeps serving', async () => {
    const answer = await rawRequest(proxy.port, `GET /api/products/1 HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431/);
    expect(seenUpstream()).toBe(0);
    expect((await request({ port: proxy.port, path: '/api/products/1' })).status).toBe(200);
  });
  test('a 64 KB URL is refused', async () => {
    const answer = await rawRequest(proxy.port, `GET /api/products/${'9'.repeat(64 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431/);
    expect(seenUpstream()).toBe(0);
  });
});

describe('the proxy is not an open window onto itself', () => {
  test('/metrics on the shopper port is just a path on legacy: the proxy\'s metrics are never served there', async () => {
    const res = await request({ port: proxy.port, path: '/metrics' });
    expect(res.body).not.toContain('strangler_requests_total');
    expect(res.headers['x-strangler-backend']).toBe('legacy');
  });
  test('10,000 random unmatched paths leave the number of metric series unchanged', async () => {
    // Queue waits are labelled by upstream, priority and sent/shed only: bounded whatever the paths,
    // but whether a shed happens depends on the machine's speed, so they are not counted here.
    const series = async (): Promise<number> => (await request({ port: proxy.adminPort, path: '/metrics' })).body.split('\n')
      .filter((l) => l.startsWith('strangler_') && !l.startsWith('strangler_queue_wait_seconds')).length;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    const get = (path: string): Promise<void> => new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: proxy.port, path, agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
    });
    const one = (i: number): Promise<void> => get(`/random/${i}/${Math.random().toString(36).slice(2)}`);
    // The same load on one path first, so series that any load brings exist before counting.
    await Promise.all(Array.from({ length: 500 }, () => get('/warm-up')));
    const before = await series();
    for (let start = 0; start < 10_000; start += 500) await Promise.all(Array.from({ length: 500 }, (_, k) => one(start + k)));
    agent.destroy();
    expect(await series()).toBe(before);
  }, 60000);
});
