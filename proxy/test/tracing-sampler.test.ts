/**
 * The sampler decides first: a request it drops gets no span object, only the traceparent (flag
 * 00) to send upstream, so the handler runs its untraced path for it. The official SDK, its
 * exporter pointed at a real OTLP/HTTP receiver on loopback.
 */
import type http from 'node:http';
import type { Upstream } from '../rules/types';
import { createSdkTracer } from '../tracing/sdk-tracer';
import type { ProxyTracer } from '../tracing/types';
import { startOtlpReceiver, type OtlpReceiver } from '../../scripts/testing/otlp-receiver';

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const UPSTREAM = { name: 'legacy', url: 'http://127.0.0.1:8080' } as Upstream;

let receiver: OtlpReceiver;
beforeAll(async () => { receiver = await startOtlpReceiver(); });
afterAll(async () => { await receiver.close(); });

/** A tracer with this sampler ratio (parent-based): the SDK reads its sampler from the environment once. */
function tracerAt(ratio: string): ProxyTracer {
  const saved = { sampler: process.env.OTEL_TRACES_SAMPLER, arg: process.env.OTEL_TRACES_SAMPLER_ARG };
  process.env.OTEL_TRACES_SAMPLER = 'parentbased_traceidratio';
  process.env.OTEL_TRACES_SAMPLER_ARG = ratio;
  try {
    return createSdkTracer({ tracesUrl: `${receiver.url}/v1/traces`, protocol: 'http/json', sampler: `parentbased_traceidratio:${ratio}` }, () => undefined);
  } finally {
    for (const [name, value] of [['OTEL_TRACES_SAMPLER', saved.sampler], ['OTEL_TRACES_SAMPLER_ARG', saved.arg]] as const) {
      if (value === undefined) delete process.env[name]; else process.env[name] = value;
    }
  }
}

function incoming(headers: Record<string, string> = {}): http.IncomingMessage {
  return { method: 'GET', url: '/api/x/1', headers } as unknown as http.IncomingMessage;
}

test('a request the sampler drops gets only a traceparent with flag 00, a new trace each time, and nothing is exported', async () => {
  const tracer = tracerAt('0');
  const sent = Array.from({ length: 50 }, () => tracer.startRequest(incoming()));
  for (const traceparent of sent) expect(traceparent).toMatch(/^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-00$/);
  expect(new Set(sent.map((t) => (t as string).slice(3, 35))).size).toBe(50);
  await tracer.shutdown(); // flushes whatever was batched
  expect(tracer.status()).toMatchObject({ exported: 0, dropped: 0 });
});

test('a caller that did not sample: its trace id and flag 00 are passed on, whatever the ratio', async () => {
  const tracer = tracerAt('1');
  const sent = tracer.startRequest(incoming({ traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-00` }));
  expect(sent).toMatch(new RegExp(`^00-${CALLER_TRACE}-[0-9a-f]{16}-00$`));
  await tracer.shutdown();
  expect(tracer.status().exported).toBe(0);
});

// What the sampled spans carry, as a collector receives them, is tracing.e2e.test.ts's (the OTLP
// exporter loads its transport by a dynamic import, which jest's module sandbox refuses).
test('a caller that sampled: its request is traced even at ratio 0, and the traceparent sent upstream is sampled', async () => {
  const tracer = tracerAt('0');
  const trace = tracer.startRequest(incoming({ traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` }));
  if (typeof trace === 'string') throw new Error(`a sampled caller's request got no span: ${trace}`);
  expect(trace.beginAttempt(UPSTREAM, 'first')).toMatch(new RegExp(`^00-${CALLER_TRACE}-(?!${CALLER_SPAN})[0-9a-f]{16}-01$`));
  trace.finish({ method: 'GET', target: '/api/x/1', routePath: '/api/x/:id', route: 'x', backend: 'legacy', reason: 'percent', status: 200, code: null });
  await tracer.shutdown();
  const { exported, dropped } = tracer.status();
  expect(exported + dropped).toBe(2); // the server span and the client span reached the exporter
});
