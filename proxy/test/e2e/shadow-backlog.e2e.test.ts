/**
 * Past the evidence pipeline's capacity: with the shadow worker's one in-flight slot taken by a
 * mirror whose other side has not answered (a backlog), every further sampled request is dropped
 * and counted, its shopper served as usual, and GET /status says the route's evidence is being
 * sampled down (`shadow.lastMinute`).
 */
import type http from 'node:http';
import { request } from '../../../scripts/testing/http-client';
import { startTestProxy, oneRouteRules, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';
import { until } from '../../../scripts/testing/wait';

let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;
const held: http.ServerResponse[] = [];

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  // The extracted side keeps every mirror waiting until the test lets it answer.
  svc.handle((_req, res) => { held.push(res); });
  proxy = await startTestProxy(oneRouteRules(legacy.url, svc.url, 'match: { path: /api/x }\npercent: 0\nshadow: { percent: 100 }'), { STRANGLER_SHADOW_MAX_IN_FLIGHT: '1' });
});
afterAll(async () => {
  for (const res of held) res.destroy();
  await proxy.stop();
  await Promise.all([legacy.close(), svc.close()]);
});

interface RouteShadow { percent: number; outcomes: Record<string, number>; lastMinute: { sampled: number; dropped: number; effectivePercent: number } }
const shadowStatus = async (): Promise<RouteShadow> =>
  (await request({ port: proxy.adminPort, path: '/status' })).json<{ routes: Array<{ name: string; shadow: RouteShadow }> }>().routes.find((r) => r.name === 'r')!.shadow;

test('a backlog drops the mirrors it cannot take, counts them, serves the shoppers, and /status says the evidence is sampled down', async () => {
  const first = await request({ port: proxy.port, path: '/api/x?n=0', headers: { 'x-user-id': 'u0' } });
  expect(first.status).toBe(200);
  await until('the first mirror to reach the extracted side', async () => (held.length > 0 ? true : null));
  // One after another, each while the first mirror still holds the only slot.
  for (let n = 1; n <= 4; n++) {
    const res = await request({ port: proxy.port, path: `/api/x?n=${n}`, headers: { 'x-user-id': `u${n}` } });
    expect(res.status).toBe(200);
    expect(res.json<{ servedBy: string }>().servedBy).toBe('legacy');
  }
  const sampledDown = await until('the drops in /status', async () => { const s = await shadowStatus(); return s.outcomes.dropped === 4 ? s : null; });
  expect(sampledDown.lastMinute).toEqual({ sampled: 4, dropped: 4, effectivePercent: 0 });
  expect(held).toHaveLength(1); // the dropped mirrors never reached the extracted side
  const metrics = (await request({ port: proxy.adminPort, path: '/metrics' })).body;
  expect(metrics).toMatch(/^strangler_shadow_requests_total\{route="r",outcome="dropped"\} 4$/m);

  // The backlog clears: the held mirror is compared, and the share mirrored is what was compared.
  held[0].writeHead(200, { 'content-type': 'application/json' });
  held[0].end(JSON.stringify({ servedBy: 'legacy', url: '/api/x?n=0', method: 'GET', body: '' }));
  const after = await until('the held mirror\'s outcome', async () => { const s = await shadowStatus(); return s.lastMinute.sampled === 5 ? s : null; });
  expect(after.lastMinute).toEqual({ sampled: 5, dropped: 4, effectivePercent: 20 });
});
