import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { redactTarget } from '../../shadow/redact';
import { traceShopDatabase } from './db-spans';
import { shopTracingWanted } from './tracing-wanted';

/**
 * A shop process (legacy or an extracted service) traces its HTTP server (and Express routing)
 * through the official instrumentations, exporting over OTLP/HTTP as the OTEL_* variables say.
 * The proxy's traceparent makes each service span a child of the proxy's client span, and each
 * database call is a span under the request's (db-spans.ts). Must run before Express is first
 * loaded: the instrumentations patch modules as they are required.
 */
export function startShopTracing(serviceName: string): boolean {
  if (!shopTracingWanted()) return false;
  const json = (process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? process.env.OTEL_EXPORTER_OTLP_PROTOCOL ?? '').trim() === 'http/json';
  const exporter = json ? new JsonExporter() : new ProtobufExporter(); // endpoint from the OTEL_* variables
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  provider.register(); // the async-hooks context manager and the W3C propagator
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // Health probes are not shopper traffic; no request or response header is ever recorded; the
      // path and query are redacted as the proxy's access log and diff store redact them.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => req.url === '/healthz', startIncomingSpanHook: redactedUrl }),
      new ExpressInstrumentation(),
    ],
  });
  traceShopDatabase(provider.getTracer('shop-db'));
  const stop = (): void => { void provider.shutdown().catch(() => undefined); };
  process.once('beforeExit', stop);
  return true;
}

/** `url.path` and `url.query` without secrets (the instrumentation lets these override its own). */
function redactedUrl(req: { url?: string }): Record<string, string> {
  const target = redactTarget(req.url ?? '/');
  const q = target.indexOf('?');
  return q === -1 ? { 'url.path': target } : { 'url.path': target.slice(0, q), 'url.query': target.slice(q + 1) };
}
