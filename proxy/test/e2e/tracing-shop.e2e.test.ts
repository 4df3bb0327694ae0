/**
 * One trace across processes: the proxy's client span is the parent of the shop service's own
 * server span (instrumentation-http and -express in `strangler legacy` / `strangler service`).
 */
import path from 'node:path';
import { openShopDb } from '../../../legacy-monolith/src/db/open';
import { seedShop } from '../../../legacy-monolith/src/db/seed';
import { request } from '../../../scripts/testing/http-client';
import { SPAN_KIND, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../../scripts/testing/otlp-receiver';
import { DIST, parseJson, portOf, startScript, tempDir, type RunningProcess } from '../../../scripts/testing/processes';
import { oneRouteRules, startTestProxy, type TestProxy } from '../../../scripts/testing/upstreams';

let receiver: OtlpReceiver;
let shop: RunningProcess[] = [];
let proxy: TestProxy;

/** `strangler ARGS…` (the CLI, as `strangler start` and a container run it) until it says it listens. */
function startShopCommand(args: string[], portEnv: string, dbFile: string): Promise<RunningProcess> {
  const name = args.at(-1)!;
  return startScript(path.join(DIST, 'scripts/cli.js'), {
    SHOP_DB: dbFile, [portEnv]: '0', CMS_LATENCY_MS: '1', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '50',
  }, (line) => parseJson(line)?.msg === `${name} listening`, 30000, args);
}

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  const dbFile = path.join(tempDir('trace-shop'), 'shop.sqlite');
  const db = openShopDb(dbFile);
  seedShop(db);
  db.close();
  shop = await Promise.all([startShopCommand(['legacy'], 'LEGACY_PORT', dbFile), startShopCommand(['service', 'catalog'], 'CATALOG_PORT', dbFile)]);
  const [legacyUrl, catalogUrl] = shop.map((p) => `http://127.0.0.1:${portOf(p.ready.url)}`);
  proxy = await startTestProxy(oneRouteRules(legacyUrl, catalogUrl, 'match: { path: /api/products/:id }\npercent: 100'), {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '50',
  });
}, 60000);
afterAll(async () => {
  const codes = await Promise.all([proxy, ...shop].map((p) => p.stop()));
  await receiver.close();
  expect(codes[0]).toBe(0);
});

test('proxy → catalog service and proxy → legacy: each service\'s server span is a child of the proxy\'s client span', async () => {
  const traces = ['dddddddddddddddddddddddddddddddd', 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee'];
  for (const [i, [traceId, target]] of [[traces[0], '/api/products/1'], [traces[1], '/api/categories']].entries()) {
    const res = await request({ port: proxy.port, path: target, headers: { 'x-user-id': `u${i}`, cookie: 'session=cookie-secret-9', traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    expect(res.status).toBe(200);
  }
  const expected: Array<[string, string]> = [[traces[0], 'shop-catalog'], [traces[1], 'shop-legacy']];
  // Each process exports on its own schedule: wait for the proxy's client span and the service's server span of both.
  const has = (all: readonly ReceivedSpan[], traceId: string, service: string, kind: number): boolean => all.some((s) => s.traceId === traceId && s.service === service && s.kind === kind);
  const spans = await receiver.waitFor((all) => expected.every(([t, service]) => has(all, t, service, SPAN_KIND.server) && has(all, t, 'strangler-proxy', SPAN_KIND.client)) && all.some((s) => s.traceId === traces[0] && s.attributes['express.type'] !== undefined), 20_000);
  for (const [traceId, service] of expected) {
    const proxyClient = spans.find((s) => s.traceId === traceId && s.service === 'strangler-proxy' && s.kind === SPAN_KIND.client)!;
    const serviceServer = spans.find((s) => s.traceId === traceId && s.service === service && s.kind === SPAN_KIND.server)!;
    expect(serviceServer.parentSpanId).toBe(proxyClient.spanId);
  }
  // Express's routing shows inside the service's span (instrumentation-express).
  expect(spans.some((s) => s.traceId === traces[0] && s.service === 'shop-catalog' && s.attributes['express.type'] !== undefined)).toBe(true);
  expect(JSON.stringify(spans)).not.toContain('cookie-secret-9');
});
