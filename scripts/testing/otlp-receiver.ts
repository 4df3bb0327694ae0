import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as a collector sees it, decoded from OTLP/HTTP JSON. */
export interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  readonly kind: number;
  readonly attributes: Record<string, unknown>;
  readonly events: readonly string[];
  readonly links: ReadonlyArray<{ traceId: string; spanId: string }>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  readonly status: number;
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;

export interface OtlpReceiver {
  /** The base URL to put in OTEL_EXPORTER_OTLP_ENDPOINT (spans are posted to /v1/traces). */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  /** Export requests in OTLP protobuf (counted, not decoded) and their content types. */
  readonly protobufRequests: number;
  /** Resolves with every span so far once `ready(spans)` holds; rejects after `ms`. */
  waitFor(ready: (spans: readonly ReceivedSpan[]) => boolean, ms?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

interface OtlpValue { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number; arrayValue?: { values?: OtlpValue[] } }
interface OtlpAttribute { key: string; value: OtlpValue }

function valueOf(value: OtlpValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(valueOf);
  return null;
}

function attributesOf(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, valueOf(a.value)]));
}

/** ExportTraceServiceRequest (OTLP/JSON, ids as hex) to flat spans. */
function decode(body: string): ReceivedSpan[] {
  const request = JSON.parse(body) as { resourceSpans?: Array<{ resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }> }> };
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name'] ?? '');
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        spans.push({
          service, traceId: String(span.traceId), spanId: String(span.spanId), parentSpanId: String(span.parentSpanId ?? ''), name: String(span.name), kind: Number(span.kind),
          attributes: attributesOf(span.attributes as OtlpAttribute[]),
          events: ((span.events ?? []) as Array<{ name: string }>).map((e) => e.name),
          links: ((span.links ?? []) as Array<{ traceId: string; spanId: string }>).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
          status: Number((span.status as { code?: number } | undefined)?.code ?? 0),
        });
      }
    }
  }
  return spans;
}

/** A small OTLP/HTTP trace receiver on 127.0.0.1:0: what a collector would be sent, decoded. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  let protobufRequests = 0;
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') { res.writeHead(404).end(); return; }
      const type = req.headers['content-type'] ?? '';
      if (type.startsWith('application/x-protobuf')) {
        protobufRequests++;
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      } else {
        try {
          spans.push(...decode(Buffer.concat(chunks).toString('utf8')));
        } catch {
          res.writeHead(400).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      }
      for (const wake of [...waiters]) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    get protobufRequests() { return protobufRequests; },
    waitFor: (ready, ms = 10_000) => new Promise((resolve, reject) => {
      const check = (): void => {
        if (!ready(spans)) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve([...spans]);
      };
      const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`the receiver did not get the spans within ${ms} ms; it has ${JSON.stringify(spans, null, 1)}`)); }, ms);
      timer.unref();
      waiters.add(check);
      check();
    }),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
