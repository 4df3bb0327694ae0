import client from 'prom-client';
import type { TracingStatus } from './types';

/** The trace exporter's two counters, read from its status at scrape time (0 while tracing is off). */
export function registerTracingMetrics(registry: client.Registry, status: () => TracingStatus): void {
  const exported: client.Counter = new client.Counter({
    name: 'strangler_trace_spans_exported_total', help: 'Spans the OTLP collector accepted', registers: [registry],
    collect: () => { exported.reset(); exported.inc(status().exported); },
  });
  const dropped: client.Counter = new client.Counter({
    name: 'strangler_trace_spans_dropped_total', help: 'Spans lost: the export queue was full, or the collector could not be reached or refused them', registers: [registry],
    collect: () => { dropped.reset(); dropped.inc(status().dropped); },
  });
}
