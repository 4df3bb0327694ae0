import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { Context } from '@opentelemetry/api';
import { TraceFlags } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** Exported and dropped spans, and whether the last export failed (to log only the changes). */
export class ExportCounts {
  exported = 0;
  dropped = 0;
  /** Spans handed to the batch processor and not yet answered by the collector. */
  pending = 0;
  failing = false;
}

/**
 * Wraps the OTLP exporter to count what the collector accepted and what was lost. A failed
 * export is not retried beyond what the exporter itself does: its spans are dropped and counted.
 */
export class CountingExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter, private readonly counts: ExportCounts, private readonly changed: (failing: boolean, error: string | null) => void) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      const counts = this.counts;
      counts.pending -= spans.length;
      const ok = result.code === ExportResultCode.SUCCESS;
      if (ok) counts.exported += spans.length;
      else counts.dropped += spans.length;
      if (counts.failing === ok) {
        counts.failing = !ok;
        this.changed(!ok, ok ? null : result.error?.message ?? 'export failed');
      }
      done(result);
    });
  }

  shutdown(): Promise<void> { return this.inner.shutdown(); }
  forceFlush(): Promise<void> { return this.inner.forceFlush?.() ?? Promise.resolve(); }
}

/**
 * In front of the batch processor: at most `limit` sampled spans wait or are being exported;
 * past that a span is dropped at once and counted, so a collector that is away costs the proxy
 * bounded memory and nothing on the request path.
 */
export class BoundedProcessor implements SpanProcessor {
  constructor(private readonly inner: SpanProcessor, private readonly counts: ExportCounts, private readonly limit: number) {}

  onStart(span: Span, parent: Context): void { this.inner.onStart(span, parent); }

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.counts.pending >= this.limit) { this.counts.dropped += 1; return; }
    this.counts.pending += 1;
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> { return this.inner.forceFlush(); }
  shutdown(): Promise<void> { return this.inner.shutdown(); }
}
