/**
 * A mirror's trace, against a real OTLP/HTTP receiver: its own trace, a root span linked to the
 * shopper's server span, the comparison's outcome on it, and the traceparent its requests carry
 * naming it. And from evidence to trace: the diff row and the report keep the shopper's trace id.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { request } from '../../../scripts/testing/http-client';
import { SPAN_KIND, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../../scripts/testing/otlp-receiver';
import { runCli, tempDir } from '../../../scripts/testing/processes';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';
import { until } from '../../../scripts/testing/wait';
import { startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';

const TOKEN = 'override-secret-5d1c';
const CARD = '4111111111111111';
const PARENT_SPAN = '00f067aa0ba902b7';

let receiver: OtlpReceiver;
let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;
let untraced: TestProxy;

/** Both sides answer the same product but for the price: every comparison is a mismatch. */
function product(price: number) {
  return (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    const payload = JSON.stringify({ id: 7, name: 'Mug', price });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  };
}

const rules = (): string => `version: 1
upstreams:
  legacy: ${legacy.url}
  svc: ${svc.url}
routes:
  - name: product
    match: { path: /api/products/:id }
    extracted: svc
    percent: 0
    shadow: { percent: 100, budget: 0.01 }
`;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  legacy.handle(product(1299));
  svc.handle(product(1300));
  proxy = await startTestProxy(rules(), {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '50', STRANGLER_OVERRIDE_TOKEN: TOKEN,
  });
  untraced = await startTestProxy(rules());
}, 20000);
afterAll(async () => {
  const codes = await Promise.all([proxy.stop(), untraced.stop()]);
  await Promise.all([legacy.close(), svc.close(), receiver.close()]);
  expect(codes).toEqual([0, 0]);
});
afterEach(() => { expectNoCrash(proxy); expectNoCrash(untraced); });

const mirrorOf = (all: readonly ReceivedSpan[], server: ReceivedSpan): ReceivedSpan | undefined =>
  all.find((s) => s.name === 'strangler.mirror' && s.links.some((l) => l.traceId === server.traceId && l.spanId === server.spanId));

/** The diff rows' trace ids as the store has them, once `count` rows are in. */
async function storedTraceIds(diffDb: string, count: number): Promise<Array<string | null>> {
  return until(`${count} diff row(s) in ${diffDb}`, () => {
    if (!fs.existsSync(diffDb)) return null;
    const db = new Database(diffDb, { readonly: true });
    try {
      const rows = db.prepare('SELECT trace_id FROM diffs ORDER BY id').all() as Array<{ trace_id: string | null }>;
      return rows.length >= count ? rows.map((r) => r.trace_id) : null;
    } finally {
      db.close();
    }
  }, 15_000);
}

test('a mirror is its own trace, linked to the shopper\'s server span, with the outcome; its requests name the mirror span; the diff row and the report keep the shopper\'s trace id', async () => {
  const shopperTrace = '5ac4a1d37f0e4c9b8a6d2e1f0b3c4d5e';
  legacy.seen.length = 0;
  svc.seen.length = 0;
  const res = await request({
    port: proxy.port, path: `/api/products/7?card=${CARD}&token=${TOKEN}`,
    headers: {
      'x-user-id': 'u1', cookie: 'session=cookie-secret-3', authorization: 'Bearer auth-secret-4', 'x-strangler-token': TOKEN,
      traceparent: `00-${shopperTrace}-${PARENT_SPAN}-01`,
    },
  });
  expect(res.status).toBe(200);
  const all = await receiver.waitFor((spans) => {
    const server = spans.find((s) => s.traceId === shopperTrace && s.kind === SPAN_KIND.server);
    return server !== undefined && mirrorOf(spans, server) !== undefined;
  });
  const server = all.find((s) => s.traceId === shopperTrace && s.kind === SPAN_KIND.server)!;
  const mirror = mirrorOf(all, server)!;
  expect(mirror.traceId).not.toBe(shopperTrace);
  expect(mirror).toMatchObject({ service: 'strangler-proxy', parentSpanId: '', kind: SPAN_KIND.client, links: [{ traceId: shopperTrace, spanId: server.spanId }] });
  expect(mirror.attributes).toMatchObject({
    'strangler.shadow.outcome': 'mismatch', 'strangler.route': 'product', 'strangler.shadow.served_by': 'legacy',
    'http.request.method': 'GET', 'http.route': '/api/products/:id', 'url.path': '/api/products/7',
  });
  // Served by legacy: extracted is asked once and legacy a second time (noise), each naming the mirror span.
  const mirrorParent = `00-${mirror.traceId}-${mirror.spanId}-01`;
  expect(svc.seen.map((r) => r.headers.traceparent)).toEqual([mirrorParent]);
  expect(legacy.seen.map((r) => r.headers.traceparent)).toContain(mirrorParent);
  const everything = JSON.stringify([server, mirror, ...all.filter((s) => s.traceId === shopperTrace)]);
  for (const secret of ['cookie-secret-3', 'auth-secret-4', TOKEN, CARD]) expect(everything).not.toContain(secret);

  expect(await storedTraceIds(proxy.diffDb, 1)).toEqual([shopperTrace]);
  const out = tempDir('report');
  const report = await runCli(['report', '--db', proxy.diffDb, '--rules', proxy.rulesFile, '--out', out]);
  expect(report.code).toBe(1); // over its budget
  const json = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as { routes: Array<{ route: string; topPaths: Array<{ path: string; example: { traceId: string | null } }> }> };
  expect(json.routes.find((r) => r.route === 'product')!.topPaths[0]).toMatchObject({ path: 'body.price', example: { traceId: shopperTrace } });
  expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toMatch(new RegExp(`^\\| \`body\\.price\` \\| 1 \\| \`/api/products/7\\?[^|]*\` \\| \`${shopperTrace}\` \\|$`, 'm'));
  expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain(`<code class="trace">${shopperTrace}</code>`);
});

test('a shopper request the caller did not sample: no mirror span, and its mirror\'s requests say not sampled', async () => {
  const unsampled = '6bd5b2e48f1f5dac9b7e3f2a1c4d5e6f';
  svc.seen.length = 0;
  await request({ port: proxy.port, path: '/api/products/8', headers: { 'x-user-id': 'u2', traceparent: `00-${unsampled}-${PARENT_SPAN}-00` } });
  const sent = await until('the mirror at extracted', () => svc.seen[0]);
  expect(String(sent.headers.traceparent)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  // A sampled request after it: once its mirror span arrived, the unsampled one's would have too.
  const marker = '7ce6c3f59a2a6ebdac8f4a3b2d5e6f70';
  await request({ port: proxy.port, path: '/api/products/9', headers: { 'x-user-id': 'u3', traceparent: `00-${marker}-${PARENT_SPAN}-01` } });
  const spans = await receiver.waitFor((all) => {
    const server = all.find((s) => s.traceId === marker && s.kind === SPAN_KIND.server);
    return server !== undefined && mirrorOf(all, server) !== undefined;
  });
  expect(spans.filter((s) => s.traceId === unsampled || s.links.some((l) => l.traceId === unsampled))).toEqual([]);
});

test('tracing off: the diff row keeps the trace id of the traceparent the shopper sent (or the one the proxy made up and sent upstream)', async () => {
  const given = '8df7d4a6ab3b7fcebd9f5b4c3e6f7081';
  legacy.seen.length = 0;
  await request({ port: untraced.port, path: '/api/products/1', headers: { 'x-user-id': 'u4', traceparent: `00-${given}-${PARENT_SPAN}-01` } });
  await request({ port: untraced.port, path: '/api/products/2', headers: { 'x-user-id': 'u5' } });
  const ids = await storedTraceIds(untraced.diffDb, 2);
  expect(ids[0]).toBe(given);
  // The second shopper sent none: the row has the trace id the proxy sent legacy with the shopper's request.
  const madeUp = legacy.seen.find((r) => r.url === '/api/products/2' && r.headers['x-strangler-mirror'] === undefined)!;
  expect(ids[1]).toBe(String(madeUp.headers.traceparent).split('-')[1]);
});
