/**
 * Tracing against a real OTLP/HTTP receiver (scripts/testing/otlp-receiver.ts): the proxy runs
 * the official SDK, exports OTLP JSON, and the test asserts what a collector would see.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from '../../../scripts/testing/http-client';
import { SPAN_KIND, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../../scripts/testing/otlp-receiver';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';
import { closedPort, oneRouteRules, startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';
import { until } from '../../../scripts/testing/wait';

const TOKEN = 'override-secret-7f3a';
const CARD = '4111111111111111';

let receiver: OtlpReceiver;
let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;
let fallbackProxy: TestProxy;

const tracingEnv = (endpoint: string): Record<string, string> => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '50', STRANGLER_OVERRIDE_TOKEN: TOKEN,
});

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  const route = 'match: { path: /api/x/:id }\npercent: 100\ntimeout_ms: 2000\nfallback_on: [503]';
  proxy = await startTestProxy(oneRouteRules(legacy.url, svc.url, route), { ...tracingEnv(receiver.url), OTEL_SERVICE_NAME: 'edge-proxy' });
  fallbackProxy = await startTestProxy(oneRouteRules(legacy.url, `http://127.0.0.1:${await closedPort()}`, route), tracingEnv(receiver.url));
}, 20000);
afterAll(async () => {
  const codes = await Promise.all([proxy, fallbackProxy].map((p) => p.stop()));
  await Promise.all([legacy.close(), svc.close(), receiver.close()]);
  expect(codes).toEqual([0, 0]);
});
afterEach(() => { expectNoCrash(proxy); expectNoCrash(fallbackProxy); });

const PARENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';

function ofTrace(spans: readonly ReceivedSpan[], traceId: string): ReceivedSpan[] {
  return spans.filter((s) => s.traceId === traceId);
}

test('a sampled request: a server span under the caller\'s, a client span under it, and the traceparent sent upstream names the client span', async () => {
  svc.seen.length = 0;
  const res = await request({ port: proxy.port, path: '/api/x/42?email=a@example.com', headers: { 'x-user-id': 'u1', traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-01` } });
  expect(res.status).toBe(200);
  const spans = ofTrace(await receiver.waitFor((all) => ofTrace(all, PARENT_TRACE).length >= 2), PARENT_TRACE);
  const server = spans.find((s) => s.kind === SPAN_KIND.server)!;
  const client = spans.find((s) => s.kind === SPAN_KIND.client)!;
  expect(server).toMatchObject({ service: 'edge-proxy', parentSpanId: PARENT_SPAN, name: 'GET /api/x/:id' });
  expect(server.attributes).toMatchObject({
    'http.request.method': 'GET', 'http.route': '/api/x/:id', 'url.path': '/api/x/42', 'http.response.status_code': 200,
    'strangler.route': 'r', 'strangler.backend': 'extracted', 'strangler.reason': 'percent',
  });
  expect(client.parentSpanId).toBe(server.spanId);
  expect(client.attributes).toMatchObject({ 'http.request.method': 'GET', 'strangler.upstream': 'svc', 'server.address': '127.0.0.1', 'http.response.status_code': 200 });
  expect(client.attributes['strangler.fallback']).toBeUndefined();
  expect(svc.seen[0].headers.traceparent).toBe(`00-${PARENT_TRACE}-${client.spanId}-01`);
});

test('a fallback is a second client span, marked strangler.fallback, beside the failed one', async () => {
  const res = await request({ port: fallbackProxy.port, path: '/api/x/7', headers: { 'x-user-id': 'u1' } });
  expect(res.headers['x-strangler-backend']).toBe('legacy-fallback');
  const traceId = String(legacy.seen.at(-1)!.headers.traceparent).split('-')[1];
  const spans = ofTrace(await receiver.waitFor((all) => ofTrace(all, traceId).length >= 3), traceId);
  const server = spans.find((s) => s.kind === SPAN_KIND.server)!;
  const clients = spans.filter((s) => s.kind === SPAN_KIND.client);
  expect(server.parentSpanId).toBe('');
  expect(server.attributes).toMatchObject({ 'strangler.backend': 'legacy-fallback', 'http.response.status_code': 200 });
  expect(clients).toHaveLength(2);
  expect(clients.map((c) => c.parentSpanId)).toEqual([server.spanId, server.spanId]);
  const failed = clients.find((c) => c.attributes['strangler.fallback'] === undefined)!;
  const fallback = clients.find((c) => c.attributes['strangler.fallback'] === true)!;
  expect(failed.attributes).toMatchObject({ 'strangler.upstream': 'svc', 'error.type': 'refused' });
  expect(failed.status).toBe(2);
  expect(fallback.attributes).toMatchObject({ 'strangler.upstream': 'legacy', 'http.response.status_code': 200 });
  expect(legacy.seen.at(-1)!.headers.traceparent).toBe(`00-${traceId}-${fallback.spanId}-01`);
});

test('a caller that did not sample (flags 00) gets no span, and its trace id and flag are passed on', async () => {
  const unsampled = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
  svc.seen.length = 0;
  await request({ port: proxy.port, path: '/api/x/1', headers: { 'x-user-id': 'u1', traceparent: `00-${unsampled}-${PARENT_SPAN}-00` } });
  const sent = String(svc.seen[0].headers.traceparent);
  expect(sent).toMatch(new RegExp(`^00-${unsampled}-[0-9a-f]{16}-00$`));
  // A sampled request after it: once its spans arrived, the unsampled one's would have too.
  const marker = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
  await request({ port: proxy.port, path: '/api/x/2', headers: { 'x-user-id': 'u1', traceparent: `00-${marker}-${PARENT_SPAN}-01` } });
  const spans = await receiver.waitFor((all) => ofTrace(all, marker).length >= 2);
  expect(ofTrace(spans, unsampled)).toEqual([]);
});

test('no secret reaches an attribute: cookies, authorization, the override token, card numbers', async () => {
  const marker = 'cccccccccccccccccccccccccccccccc';
  await request({
    port: proxy.port, method: 'POST', path: `/api/x/${CARD}?card=${CARD}&token=${TOKEN}`, body: JSON.stringify({ card: CARD }),
    headers: {
      'x-user-id': 'u1', 'content-type': 'application/json', cookie: 'session=cookie-secret-1', authorization: 'Bearer auth-secret-2',
      'x-strangler-force': 'legacy', 'x-strangler-token': TOKEN, traceparent: `00-${marker}-${PARENT_SPAN}-01`,
    },
  });
  const spans = ofTrace(await receiver.waitFor((all) => ofTrace(all, marker).length >= 2), marker);
  const everything = JSON.stringify(spans);
  for (const secret of ['cookie-secret-1', 'auth-secret-2', TOKEN, CARD]) expect(everything).not.toContain(secret);
  const server = spans.find((s) => s.kind === SPAN_KIND.server)!;
  expect(server.attributes['strangler.reason']).toBe('override');
});

test('/status and /metrics count the exported spans', async () => {
  const status = (await request({ port: proxy.adminPort, path: '/status' })).json<{ tracing: Record<string, unknown> }>().tracing;
  expect(status).toMatchObject({ enabled: true, endpoint: `${receiver.url}/v1/traces`, sampler: 'parentbased_always_on', dropped: 0 });
  expect(status.exported).toBeGreaterThan(0);
  const metrics = (await request({ port: proxy.adminPort, path: '/metrics' })).body;
  expect(metrics).toMatch(/^strangler_trace_spans_exported_total [1-9]/m);
  expect(metrics).toMatch(/^strangler_trace_spans_dropped_total 0$/m);
});

test('a collector that cannot be reached never fails a shopper: spans are dropped and counted', async () => {
  const away = await startTestProxy(oneRouteRules(legacy.url, svc.url, 'match: { path: /api/x }\npercent: 100'), {
    ...tracingEnv(`http://127.0.0.1:${await closedPort()}`), OTEL_EXPORTER_OTLP_TIMEOUT: '500',
  });
  try {
    for (let i = 0; i < 5; i++) expect((await request({ port: away.port, path: '/api/x', headers: { 'x-user-id': `u${i}` } })).status).toBe(200);
    const deadline = Date.now() + 15_000;
    let tracing: Record<string, number> = {};
    while (Date.now() < deadline) {
      tracing = (await request({ port: away.adminPort, path: '/status' })).json<{ tracing: Record<string, number> }>().tracing;
      if (tracing.dropped >= 10) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(tracing).toMatchObject({ enabled: true, exported: 0, dropped: 10 });
    await away.process.waitForLine((line) => line.includes('trace export failed'));
  } finally {
    expect(await away.stop()).toBe(0);
  }
});

test('a collector that takes the batch and never answers: at most OTEL_BSP_MAX_QUEUE_SIZE spans wait, the rest are dropped and counted at once, and every shopper is served', async () => {
  // Accepts each export and never answers it: the first batch stays in flight for the whole test.
  const held: http.ServerResponse[] = [];
  const hanging = http.createServer((req, res) => { req.resume(); held.push(res); });
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
  const stuck = await startTestProxy(oneRouteRules(legacy.url, svc.url, 'match: { path: /api/x }\npercent: 100'), {
    ...tracingEnv(url), OTEL_BSP_MAX_QUEUE_SIZE: '4', OTEL_EXPORTER_OTLP_TIMEOUT: '60000',
  });
  try {
    // Each request is two sampled spans (server and client): 20 spans against a bound of 4.
    for (let i = 0; i < 10; i++) expect((await request({ port: stuck.port, path: '/api/x', headers: { 'x-user-id': `u${i}` } })).status).toBe(200);
    // A span ends as its answer goes out: wait for the last one, without a deadline on the count.
    const tracing = await until('16 of the 20 spans to be dropped', async () => {
      const t = (await request({ port: stuck.adminPort, path: '/status' })).json<{ tracing: Record<string, number> }>().tracing;
      return t.dropped >= 16 ? t : null;
    });
    expect(tracing).toMatchObject({ enabled: true, exported: 0, dropped: 16 });
    expect((await request({ port: stuck.adminPort, path: '/metrics' })).body).toMatch(/^strangler_trace_spans_dropped_total 16$/m);
  } finally {
    expect(await stuck.stop()).toBe(0);
    for (const res of held) res.destroy();
    hanging.closeAllConnections();
    await new Promise((resolve) => hanging.close(resolve));
  }
});

test('OTLP protobuf is the default protocol', async () => {
  const before = receiver.protobufRequests;
  const proto = await startTestProxy(oneRouteRules(legacy.url, svc.url, 'match: { path: /api/x }\npercent: 100'), { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50' });
  try {
    expect((await request({ port: proto.port, path: '/api/x', headers: { 'x-user-id': 'u1' } })).status).toBe(200);
    const deadline = Date.now() + 10_000;
    while (receiver.protobufRequests === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(receiver.protobufRequests).toBeGreaterThan(before);
  } finally {
    expect(await proto.stop()).toBe(0);
  }
});
