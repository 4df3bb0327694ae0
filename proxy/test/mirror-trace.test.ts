/**
 * Mirror spans against the real SDK: a mirror still waiting for its comparison when the proxy
 * stops is ended with outcome `unknown` (and so exported with the last batch), not lost.
 */
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MIRROR_SPAN, mirrorTracer, OpenMirrors, startMirrorTrace } from '../tracing/mirror-trace';

test('at stop, the mirrors still open end with outcome unknown; one already compared keeps its outcome', () => {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor(exporter);
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  const shopper = provider.getTracer('test').startSpan('GET', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
  const tracer = mirrorTracer(resourceFromAttributes({}), processor);
  const open = new OpenMirrors();
  const start = { method: 'GET', target: '/api/products/1', route: 'product-detail', routePath: '/api/products/:id', servedBy: 'legacy' as const };
  const compared = startMirrorTrace(tracer, shopper, start, open);
  const waiting = startMirrorTrace(tracer, shopper, start, open);
  compared.ended('match');
  expect(open.spans.size).toBe(1);
  open.endAll();
  expect(open.spans.size).toBe(0);
  waiting.ended('mismatch'); // too late: the span has ended
  const mirrors = exporter.getFinishedSpans().filter((s) => s.name === MIRROR_SPAN);
  expect(mirrors.map((s) => s.attributes['strangler.shadow.outcome'])).toEqual(['match', 'unknown']);
  expect(mirrors.every((s) => s.links[0].context.spanId === shopper.spanContext().spanId)).toBe(true);
});
