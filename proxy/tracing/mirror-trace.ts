import { AlwaysOnSampler, BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { redactTarget } from '../../shadow/redact';
import type { ShadowOutcome } from '../../shadow/outcomes';
import type { MirrorEnd, MirrorStart, MirrorTrace } from './types';

/** The mirror span's name: one name, so a collector user finds every mirror with one query. */
export const MIRROR_SPAN = 'strangler.mirror';
/**
 * A mirror span still waiting for its comparison this long is ended with outcome `unknown`, so
 * spans never pile up (a lost worker report, a shopper's answer that streams for minutes). The
 * comparison is still counted and stored when it comes; only its span has gone.
 */
export const MIRROR_SPAN_MAX_MS = 60_000;

/**
 * Mirrors are recorded exactly when their shopper's request is: a tracer of their own whose
 * sampler always records, used only for mirrors of sampled shoppers. With the proxy's sampler,
 * a ratio (say 1 %) would be drawn again for the mirror's new trace id, and the link of a
 * recorded mirror would nearly always point at a shopper trace that was never kept. Its spans
 * go through the proxy's processor: the same batch, bound and export counts.
 */
export function mirrorTracer(resource: Resource, processor: SpanProcessor): Tracer {
  return new BasicTracerProvider({ resource, sampler: new AlwaysOnSampler(), spanProcessors: [processor] }).getTracer('strangler');
}

/**
 * A mirror is its own trace: a root CLIENT span (the proxy asking the services again, so service
 * graphs draw those calls too) linked to the shopper's server span. The mirror's requests carry a
 * traceparent naming it, so the services' spans nest under it. It ends when the comparison's
 * outcome is known (`strangler.shadow.outcome`), which is after the shopper was served and the
 * worker compared: its duration is the mirror's whole life, not one request's.
 */
export function startMirrorTrace(tracer: Tracer, shopper: Span, start: MirrorStart, open: OpenMirrors): MirrorTrace {
  // Only a recorded shopper request has a RequestTrace (sdk-tracer.ts), so its mirror is always recorded.
  const link = shopper.spanContext();
  const query = start.target.indexOf('?');
  const span = tracer.startSpan(MIRROR_SPAN, {
    kind: SpanKind.CLIENT, root: true, links: [{ context: link }],
    attributes: {
      'http.request.method': start.method, 'url.path': redactTarget(query === -1 ? start.target : start.target.slice(0, query)),
      'strangler.route': start.route, 'strangler.shadow.served_by': start.servedBy,
      ...(start.routePath !== null ? { 'http.route': start.routePath } : {}),
    },
  }, ROOT_CONTEXT);
  return new SdkMirrorTrace(span, link.traceId, open);
}

/**
 * The mirror spans still waiting for their comparison. When the proxy stops (after the shadow
 * side has had its grace to finish), those left are ended with outcome `unknown`, so the last
 * batch exports them instead of losing them.
 */
export class OpenMirrors {
  readonly spans = new Set<{ abandon(): void }>();

  endAll(): void {
    for (const mirror of [...this.spans]) mirror.abandon();
  }
}

class SdkMirrorTrace implements MirrorTrace {
  readonly traceparent: string;
  private timer: NodeJS.Timeout | null;

  constructor(private readonly span: Span, readonly shopperTraceId: string, private readonly open: OpenMirrors) {
    const context = span.spanContext();
    this.traceparent = `00-${context.traceId}-${context.spanId}-01`;
    this.timer = setTimeout(() => this.end('unknown'), MIRROR_SPAN_MAX_MS).unref();
    open.spans.add(this);
  }

  abandon(): void {
    this.end('unknown');
  }

  ended(outcome: ShadowOutcome | null): void {
    this.end(outcome ?? 'not_compared');
  }

  private end(outcome: MirrorEnd): void {
    if (this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.open.spans.delete(this);
    this.span.setAttribute('strangler.shadow.outcome', outcome);
    if (outcome === 'error') this.span.setStatus({ code: SpanStatusCode.ERROR });
    this.span.end();
  }
}
