/**
 * One trace across processes: the proxy's client span is the parent of the shop service's own
 * server span (instrumentation-http and -express in `strangler legacy` / `strangler service`),
 * whose database calls are spans under it; a mirror's trace holds the services' spans of the
 * mirrored requests.
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
  proxy = await startTestProxy(oneRouteRules(legacyUrl, catalogUrl, 'match: { path: /api/products/:id }\npercent: 100\nshadow: { percent: 100 }'), {
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

test('a service\'s server span keeps the query\'s shape but no secret in it: secret-named parameters blanked, e-mail addresses and card numbers masked', async () => {
  const traceId = 'abababababababababababababababab';
  const target = '/api/categories?token=tok-secret-5&contact=ann%40example.com&ref=4111111111111111&page=2';
  const res = await request({ port: proxy.port, path: target, headers: { 'x-user-id': 'u-query', traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
  expect(res.status).toBe(200);
  const spans = await receiver.waitFor((all) => all.some((s) => s.traceId === traceId && s.service === 'shop-legacy' && s.kind === SPAN_KIND.server), 20_000);
  const server = spans.find((s) => s.traceId === traceId && s.service === 'shop-legacy' && s.kind === SPAN_KIND.server)!;
  expect(server.attributes['url.path']).toBe('/api/categories');
  expect(server.attributes['url.query']).toBe('token=[redacted]&contact=[email]&ref=[card]&page=2');
  const text = JSON.stringify(spans.filter((s) => s.traceId === traceId));
  for (const secret of ['tok-secret-5', 'ann%40example.com', 'ann@example.com', '4111111111111111']) expect(text).not.toContain(secret);
});

/** The spans of one trace from `span` up to its root, `span` first. */
function ancestry(spans: readonly ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  const chain = [span];
  for (let at = span; at.parentSpanId !== '';) {
    const parent = spans.find((s) => s.traceId === at.traceId && s.spanId === at.parentSpanId);
    if (parent === undefined) break;
    chain.push(parent);
    at = parent;
  }
  return chain;
}

const isDbSpan = (s: ReceivedSpan): boolean => s.kind === SPAN_KIND.client && s.attributes['db.system'] === 'sqlite';

test('proxy → service → its database: the service\'s database call is a span under its server span, with the operation and table, no values', async () => {
  const traceId = 'f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1';
  expect((await request({ port: proxy.port, path: '/api/products/2', headers: { 'x-user-id': 'u7', traceparent: `00-${traceId}-00f067aa0ba902b7-01` } })).status).toBe(200);
  // Each process exports on its own schedule, and a parent ends after its children: wait for the whole chain.
  const spans = await receiver.waitFor((all) => all.some((s) => s.traceId === traceId && s.service === 'shop-catalog' && isDbSpan(s)
    && ancestry(all, s).at(-1)!.kind === SPAN_KIND.server && ancestry(all, s).at(-1)!.service === 'strangler-proxy'), 20_000);
  const db = spans.find((s) => s.traceId === traceId && s.service === 'shop-catalog' && isDbSpan(s))!;
  const chain = ancestry(spans, db);
  // db → (express) → the catalog's server span → the proxy's client span → the proxy's server span.
  const serviceServer = chain.find((s) => s.service === 'shop-catalog' && s.kind === SPAN_KIND.server);
  expect(serviceServer).toBeDefined();
  expect(chain.at(-1)).toMatchObject({ service: 'strangler-proxy', kind: SPAN_KIND.server });
  expect(db.attributes).toMatchObject({ 'db.system.name': 'sqlite', 'db.operation.name': 'SELECT', 'db.collection.name': expect.any(String) });
  expect(db.name).toBe(`SELECT ${String(db.attributes['db.collection.name'])}`);
  expect(Object.keys(db.attributes).filter((k) => k.startsWith('db.query'))).toEqual([]);
});

test('a mirror\'s trace holds the services\' spans of the mirrored requests: legacy\'s server span nests under the mirror span', async () => {
  const traceId = 'f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2';
  expect((await request({ port: proxy.port, path: '/api/products/3', headers: { 'x-user-id': 'u8', traceparent: `00-${traceId}-00f067aa0ba902b7-01` } })).status).toBe(200);
  const mirrorOf = (all: readonly ReceivedSpan[]): ReceivedSpan | undefined => all.find((s) => s.name === 'strangler.mirror' && s.links.some((l) => l.traceId === traceId));
  const spans = await receiver.waitFor((all) => {
    const mirror = mirrorOf(all);
    // Served by catalog: legacy is asked once, its server span and a database span under it.
    return mirror !== undefined && all.some((s) => s.traceId === mirror.traceId && s.service === 'shop-legacy' && isDbSpan(s) && ancestry(all, s).at(-1)!.spanId === mirror.spanId);
  }, 20_000);
  const mirror = mirrorOf(spans)!;
  const server = spans.find((s) => s.traceId === traceId && s.service === 'strangler-proxy' && s.kind === SPAN_KIND.server)!;
  expect(mirror.links).toEqual([{ traceId, spanId: server.spanId }]);
  expect(['match', 'mismatch']).toContain(mirror.attributes['strangler.shadow.outcome']);
  const legacyServers = spans.filter((s) => s.traceId === mirror.traceId && s.service === 'shop-legacy' && s.kind === SPAN_KIND.server);
  expect(legacyServers.length).toBeGreaterThan(0);
  for (const legacyServer of legacyServers) expect(legacyServer.parentSpanId).toBe(mirror.spanId);
  const db = spans.find((s) => s.traceId === mirror.traceId && s.service === 'shop-legacy' && isDbSpan(s))!;
  expect(ancestry(spans, db).at(-1)!.spanId).toBe(mirror.spanId);
});