/**
 * `npm start` with OTEL_EXPORTER_OTLP_ENDPOINT traces the whole shop: the launcher passes the
 * variables to the proxy and every service, and one shopper's request is one trace from the
 * proxy's server span through its client span into the service and down to its database call.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { request } from '../testing/http-client';
import { SPAN_KIND, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../testing/otlp-receiver';
import { freePort } from '../testing/postgres';
import { DIST, REPO_ROOT, tempDir } from '../testing/processes';

let receiver: OtlpReceiver;
beforeAll(async () => { receiver = await startOtlpReceiver(); });
afterAll(async () => { await receiver.close(); });

test('strangler start with an OTLP endpoint: proxy → legacy and proxy → catalog → database, each one trace', async () => {
  const [legacy, catalog, pricing, checkout, proxy, admin] = await Promise.all(Array.from({ length: 6 }, freePort));
  const dir = tempDir('start-tracing');
  const env = {
    ...process.env, LOG_LEVEL: 'warn',
    LEGACY_PORT: String(legacy), CATALOG_PORT: String(catalog), PRICING_PORT: String(pricing), CHECKOUT_PORT: String(checkout),
    PROXY_PORT: String(proxy), PROXY_HOST: '127.0.0.1', ADMIN_PORT: String(admin),
    SHOP_DB: path.join(dir, 'shop.sqlite'), STRANGLER_DIFF_DB: path.join(dir, 'diffs.sqlite'), STRANGLER_RULES: path.join(REPO_ROOT, 'routing-rules.yaml'),
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100',
  };
  const shop = spawn(process.execPath, [path.join(DIST, 'scripts', 'cli.js'), 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => shop.once('exit', (code) => resolve(code)));
  try {
    const ready = await new Promise<boolean>((resolve) => {
      for (const stream of [shop.stdout, shop.stderr]) {
        readline.createInterface({ input: stream }).on('line', (line) => { lines.push(line); if (line.startsWith('Strangler is running')) resolve(true); });
      }
      void exited.then(() => resolve(false));
      setTimeout(() => resolve(false), 60_000).unref();
    });
    expect({ ready, output: ready ? '' : lines.join('\n') }).toEqual({ ready: true, output: '' });
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
    shop.kill('SIGTERM');
    await exited;
  }
}, 120_000);
