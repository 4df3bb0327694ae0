/**
 * Admission control in the traces (a real OTLP/HTTP receiver): a request that waited for an
 * upstream slot says how long on its client span; a shed one says so on both spans. Made
 * deterministic without timing: legacy holds every answer, so the proxy's first limit (the
 * probe's minimum, 3 at once) is full until the test lets them go.
 */
import type http from 'node:http';
import { request, type SimpleResponse } from '../../../scripts/testing/http-client';
import { SPAN_KIND, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../../scripts/testing/otlp-receiver';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';
import { startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';
import { until } from '../../../scripts/testing/wait';

let receiver: OtlpReceiver;
let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;
const held: http.ServerResponse[] = [];
let holding = true;

const answer = (res: http.ServerResponse): void => { res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'); };

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  legacy.handle((_req, res) => { if (holding) held.push(res); else answer(res); });
  proxy = await startTestProxy(`version: 1
upstreams: { legacy: "${legacy.url}", svc: "${svc.url}" }
routes:
  - name: patient
    match: { path: /patient/:id }
    extracted: svc
    timeout_ms: 30000
    overload: { max_queue: 20s }
  - name: hasty
    match: { path: /hasty }
    extracted: svc
    overload: { max_queue: 50ms }
`, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '50' });
}, 20000);
afterAll(async () => {
  holding = false;
  for (const res of held.splice(0)) answer(res);
  const code = await proxy.stop();
  await Promise.all([legacy.close(), svc.close(), receiver.close()]);
  expect(code).toBe(0);
});
afterEach(() => expectNoCrash(proxy));

const legacyStatus = async (): Promise<{ inFlight: number; queued: number; limit: number | null }> =>
  (await request({ port: proxy.adminPort, path: '/status' })).json<{ upstreams: Array<{ name: string; inFlight: number; queued: number; limit: number | null }> }>().upstreams.find((u) => u.name === 'legacy')!;

const traceparent = (traceId: string): string => `00-${traceId}-00f067aa0ba902b7-01`;
const ofTrace = (spans: readonly ReceivedSpan[], traceId: string, kind: number): ReceivedSpan | undefined => spans.find((s) => s.traceId === traceId && s.kind === kind);

test('a queued request\'s client span has strangler.queue.wait_ms; a shed one has strangler.shed on its client and server spans', async () => {
  const queuedTrace = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1';
  const shedTrace = 'b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2';
  // Fill every slot the proxy allows legacy (their answers are held) until one more has to wait.
  const first: Array<Promise<SimpleResponse>> = [];
  for (let i = 0; i < 50 && (await legacyStatus()).queued === 0; i++) {
    first.push(request({ port: proxy.port, path: `/patient/${i}`, headers: { 'x-user-id': `f${i}` } }));
    await until('the request held by legacy or waiting for it', async () => held.length > i || (await legacyStatus()).queued > 0);
  }
  expect((await legacyStatus()).queued).toBe(1);
  const queued = request({ port: proxy.port, path: '/patient/q', headers: { 'x-user-id': 'q', traceparent: traceparent(queuedTrace) } });
  await until('a second request waiting for legacy', async () => (await legacyStatus()).queued >= 2);
  // Nothing is let go: past its 50 ms queue, this one is shed.
  const shed = await request({ port: proxy.port, path: '/hasty', headers: { 'x-user-id': 's', traceparent: traceparent(shedTrace) } });
  expect(shed.status).toBe(503);
  holding = false;
  for (const res of held.splice(0)) answer(res);
  expect((await queued).status).toBe(200);
  expect((await Promise.all(first)).every((r) => r.status === 200)).toBe(true);

  const spans = await receiver.waitFor((all) => [queuedTrace, shedTrace].every((t) => ofTrace(all, t, SPAN_KIND.server) && ofTrace(all, t, SPAN_KIND.client)));
  const waited = ofTrace(spans, queuedTrace, SPAN_KIND.client)!;
  expect(waited.attributes['strangler.queue.wait_ms']).toEqual(expect.any(Number));
  expect(waited.attributes['strangler.queue.wait_ms'] as number).toBeGreaterThan(0);
  expect(waited.attributes['strangler.shed']).toBeUndefined();
  expect(waited.attributes['http.response.status_code']).toBe(200);
  expect(ofTrace(spans, queuedTrace, SPAN_KIND.server)!.attributes['strangler.shed']).toBeUndefined();

  const shedClient = ofTrace(spans, shedTrace, SPAN_KIND.client)!;
  expect(shedClient.attributes).toMatchObject({ 'strangler.shed': true, 'error.type': 'overloaded', 'strangler.upstream': 'legacy' });
  expect(shedClient.attributes['strangler.queue.wait_ms']).toEqual(expect.any(Number));
  expect(shedClient.events).toContain('strangler.shed');
  expect(shedClient.status).toBe(2);
  expect(ofTrace(spans, shedTrace, SPAN_KIND.server)!.attributes).toMatchObject({
    'strangler.shed': true, 'http.response.status_code': 503, 'strangler.error': 'STRANGLER_ERR_OVERLOADED', 'strangler.route': 'hasty',
  });
});
