import { request } from '../../../scripts/testing/http-client';
import { startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';

let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  proxy = await startTestProxy(`version: 1
upstreams: { legacy: ${legacy.url}, svc: ${svc.url} }
routes:
  - name: quote-eu
    match: { methods: [POST], path: /api/quote, headers: { x-region: [eu, uk] }, cookies: { beta: "1" } }
    extracted: svc
    percent: 100
  - name: quote
    match: { methods: [POST], path: /api/quote }
    extracted: svc
    percent: 0
`);
}, 20000);
afterAll(async () => {
  const code = await proxy.stop();
  await Promise.all([legacy.close(), svc.close()]);
  expect(code).toBe(0);
});

const quote = (headers: Record<string, string>) => request({ port: proxy.port, path: '/api/quote', method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });

test('a segment route takes only the requests meeting all its conditions; the rest fall through to the general route', async () => {
  const eu = await quote({ 'X-Region': 'eu', cookie: 'theme=dark; beta=1' });
  expect([eu.headers['x-strangler-route'], eu.headers['x-strangler-backend']]).toEqual(['quote-eu', 'extracted']);
  expect(eu.json<{ servedBy: string }>().servedBy).toBe('svc');
  const others: Array<Record<string, string>> = [{ 'x-region': 'us', cookie: 'beta=1' }, { 'x-region': 'eu' }, { cookie: 'beta=1' }, { 'x-region': 'eu', cookie: 'beta=0' }];
  for (const headers of others) {
    const other = await quote(headers);
    expect([other.headers['x-strangler-route'], other.headers['x-strangler-backend']]).toEqual(['quote', 'legacy']);
  }
});

test('/status shows the conditions', async () => {
  const status = (await request({ port: proxy.adminPort, path: '/status' })).json<{ routes: Array<{ match: Record<string, unknown>; settings: { match: string } }> }>();
  expect(status.routes[0].match).toEqual({ methods: ['POST'], path: '/api/quote', headers: { 'x-region': ['eu', 'uk'] }, cookies: { beta: ['1'] } });
  expect(status.routes[0].settings.match).toBe('POST /api/quote when header x-region in [eu, uk] and cookie beta = 1');
  expect(status.routes[1].match).toMatchObject({ headers: null, cookies: null });
});
