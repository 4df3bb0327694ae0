/**
 * `npm start` with OTEL_EXPORTER_OTLP_ENDPOINT traces the whole shop: the launcher passes the
 * variables to the proxy and every service, and one shopper's request is one trace from the
 * proxy's server span through its client span into the service and down to its database call.
 */
import { request } from '../testing/http-client';
import { launch, movedShop } from '../testing/launcher-process';
import { SPAN_KIND, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../testing/otlp-receiver';

let receiver: OtlpReceiver;
beforeAll(async () => { receiver = await startOtlpReceiver(); });
afterAll(async () => { await receiver.close(); });

test('strangler start with an OTLP endpoint: proxy → legacy and proxy → catalog → database, each one trace', async () => {
  const env: Record<string, string> = { ...await movedShop(), OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100' };
  const proxy = Number(env.PROXY_PORT);
  const shop = launch(env);
  try {
    const ready = await shop.ready;
    expect({ ready, output: ready ? '' : shop.lines.join('\n') }).toEqual({ ready: true, output: '' });
    // product-detail: catalog for some shoppers, legacy for the others; categories: legacy.
    const traces = ['1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a', '2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b'];
    for (const [i, target] of ['/api/products/1', '/api/categories'].entries()) {
      const res = await request({ port: proxy, path: target, headers: { 'x-user-id': `start-tracing-${i}`, traceparent: `00-${traces[i]}-00f067aa0ba902b7-01` } });
      expect(res.status).toBe(200);
    }
    const served = (spans: readonly ReceivedSpan[], traceId: string): ReceivedSpan | undefined =>
      spans.find((s) => s.traceId === traceId && s.kind === SPAN_KIND.server && s.service.startsWith('shop-'));
    const spans = await receiver.waitFor((all) => traces.every((t) => served(all, t) !== undefined && all.some((s) => s.traceId === t && s.service === 'strangler-proxy' && s.kind === SPAN_KIND.client)), 30_000);
    for (const traceId of traces) {
      const proxyServer = spans.find((s) => s.traceId === traceId && s.service === 'strangler-proxy' && s.kind === SPAN_KIND.server)!;
      const proxyClient = spans.find((s) => s.traceId === traceId && s.service === 'strangler-proxy' && s.kind === SPAN_KIND.client)!;
      const service = served(spans, traceId)!;
      expect(proxyClient.parentSpanId).toBe(proxyServer.spanId);
      expect(service.parentSpanId).toBe(proxyClient.spanId);
    }
    // The categories come from legacy's database: its query is a span under legacy's server span.
    const legacyServer = served(spans, traces[1])!;
    expect(legacyServer.service).toBe('shop-legacy');
    const db = await receiver.waitFor((all) => all.some((s) => s.traceId === traces[1] && s.attributes['db.system'] === 'sqlite'), 15_000);
    const query = db.find((s) => s.traceId === traces[1] && s.attributes['db.system'] === 'sqlite')!;
    const ancestors: string[] = [];
    for (let at: ReceivedSpan | undefined = query; at !== undefined; at = db.find((s) => s.traceId === traces[1] && s.spanId === at!.parentSpanId)) ancestors.push(at.spanId);
    expect(ancestors).toContain(legacyServer.spanId);
  } finally {
    await shop.stop();
  }
}, 120_000);
