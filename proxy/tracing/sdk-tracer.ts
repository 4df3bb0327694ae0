import type http from 'node:http';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { redactTarget } from '../../shadow/redact';
import type { ForwardOutcome } from '../forward/upstream-response';
import type { Upstream } from '../rules/types';
import { BoundedProcessor, CountingExporter, ExportCounts } from './export-counts';
import type { TracingConfig } from './otel-env';
import { mirrorTracer, OpenMirrors, startMirrorTrace } from './mirror-trace';
import type { AttemptKind, MirrorStart, MirrorTrace, ProxyTracer, RequestEnd, RequestTrace, TracingStatus } from './types';

/** The proxy's name in a trace unless OTEL_SERVICE_NAME says otherwise. */
export const DEFAULT_SERVICE_NAME = 'strangler-proxy';
/** A stop waits at most this long for the last batch to reach the collector. */
const SHUTDOWN_FLUSH_MS = 2000;

const propagator = new W3CTraceContextPropagator();
/** No attributes at the start: the sampler decides on the ids, so a span it drops was not worth building. */
const SERVER_SPAN = Object.freeze({ kind: SpanKind.SERVER });

/**
 * The proxy's tracer over the official SDK (loaded only when an OTLP endpoint is set): a batch
 * processor exports off the request path; spans are started with explicit parent contexts, so no
 * context manager (async hooks) runs per request. The sampler decides first, on the server span:
 * a request it drops (99 % of them at a 1 % ratio) costs that one decision and a traceparent.
 */
export function createSdkTracer(config: TracingConfig, exportChanged: (failing: boolean, error: string | null) => void): ProxyTracer {
  const counts = new ExportCounts();
  const otlp = config.protocol === 'http/json' ? new JsonExporter({ url: config.tracesUrl }) : new ProtobufExporter({ url: config.tracesUrl });
  const exporter = new CountingExporter(otlp, counts, exportChanged);
  const batch = new BatchSpanProcessor(exporter); // OTEL_BSP_* read by the SDK
  const limit = Number(process.env.OTEL_BSP_MAX_QUEUE_SIZE) > 0 ? Number(process.env.OTEL_BSP_MAX_QUEUE_SIZE) : 2048;
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: DEFAULT_SERVICE_NAME }))
    .merge(detectResources({ detectors: [envDetector] })); // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
  // The sampler comes from OTEL_TRACES_SAMPLER / _ARG (default parentbased_always_on).
  const processor = new BoundedProcessor(batch, counts, limit);
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  const tracer = provider.getTracer('strangler');
  const mirrors = mirrorTracer(resource, processor);
  const openMirrors = new OpenMirrors();
  return {
    startRequest: (req) => {
      // The caller's traceparent (and tracestate) when valid: its sampled flag decides (parent-based sampler).
      const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
      const server = tracer.startSpan(req.method!, SERVER_SPAN, parent);
      // Not sampled: a non-recording span carrying the ids; upstream gets its traceparent, flag 00.
      if (!server.isRecording()) return traceparentOf(server);
      return new SdkRequestTrace(tracer, req, server, trace.setSpan(parent, server), mirrors, openMirrors);
    },
    status: (): TracingStatus => ({ enabled: true, endpoint: config.tracesUrl, sampler: config.sampler, exported: counts.exported, dropped: counts.dropped }),
    shutdown: async () => {
      openMirrors.endAll();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => { timer = setTimeout(resolve, SHUTDOWN_FLUSH_MS).unref(); });
      await Promise.race([provider.shutdown().catch(() => undefined), late]);
      clearTimeout(timer);
    },
  };
}

/** Each upstream's server.* attributes, parsed once per upstream object (rules reloads bring new ones). */
const serverAttributesOf = new WeakMap<Upstream, Attributes>();

function serverAttributes(upstream: Upstream): Attributes {
  let attributes = serverAttributesOf.get(upstream);
  if (attributes === undefined) {
    attributes = parseServerAttributes(upstream);
    serverAttributesOf.set(upstream, attributes);
  }
  return attributes;
}

/** `host:port` of an upstream, never its userinfo or path. */
function parseServerAttributes(upstream: Upstream): Attributes {
  try {
    const url = new URL(upstream.url);
    return { 'server.address': url.hostname, 'server.port': Number(url.port) || (url.protocol === 'https:' ? 443 : 80) };
  } catch {
    return {};
  }
}

function traceparentOf(span: Span): string {
  const context = span.spanContext();
  return `00-${context.traceId}-${context.spanId}-0${(context.traceFlags & 1).toString(16)}`;
}

/** A sampled request's spans: its server span and the client span of the attempt under way. */
class SdkRequestTrace implements RequestTrace {
  private attempt: Span | null = null;
  private shed = false;

  constructor(private readonly tracer: Tracer, private readonly req: http.IncomingMessage, private readonly server: Span, private readonly context: Context, private readonly mirrors: Tracer, private readonly openMirrors: OpenMirrors) {
    server.setAttribute('http.request.method', req.method!);
  }

  beginAttempt(upstream: Upstream, kind: AttemptKind): string {
    this.attempt?.end();
    const attributes: Attributes = { 'http.request.method': this.req.method!, 'strangler.upstream': upstream.name, ...serverAttributes(upstream) };
    if (kind === 'fallback') attributes['strangler.fallback'] = true;
    if (kind === 'retry') attributes['strangler.retry'] = true;
    const span = this.tracer.startSpan(this.req.method!, { kind: SpanKind.CLIENT, attributes }, this.context);
    this.attempt = span;
    return traceparentOf(span);
  }

  queued(waitedMs: number, admitted: boolean): void {
    const span = this.attempt;
    if (span === null) return;
    span.setAttribute('strangler.queue.wait_ms', Math.round(waitedMs * 10) / 10);
    if (!admitted) this.shed = true;
  }

  attemptOutcome(outcome: ForwardOutcome): void {
    const span = this.attempt;
    if (span === null) return;
    if (outcome.ok) {
      span.setAttribute('http.response.status_code', outcome.response.status);
      if (outcome.response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      return;
    }
    if (outcome.failure === 'overloaded') {
      this.shed = true;
      span.addEvent('strangler.shed');
      span.setAttribute('strangler.shed', true);
    }
    span.setAttribute('error.type', outcome.failure);
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    this.attempt = null;
  }

  startMirror(start: MirrorStart): MirrorTrace {
    return startMirrorTrace(this.mirrors, this.server, start, this.openMirrors);
  }

  finish(end: RequestEnd): void {
    this.attempt?.end();
    this.attempt = null;
    const span = this.server;
    const query = end.target.indexOf('?');
    const path = query === -1 ? end.target : end.target.slice(0, query);
    span.updateName(end.routePath === null ? end.method : `${end.method} ${end.routePath}`);
    span.setAttributes({
      'url.path': redactTarget(path), 'http.response.status_code': end.status,
      'strangler.route': end.route, 'strangler.backend': end.backend, 'strangler.reason': end.reason,
    });
    if (end.routePath !== null) span.setAttribute('http.route', end.routePath);
    if (this.shed) span.setAttribute('strangler.shed', true);
    if (end.code !== null) span.setAttribute('strangler.error', end.code);
    if (end.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }
}
