import Database from 'better-sqlite3';
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Tracer } from '@opentelemetry/api';

/**
 * A span per shop database call (better-sqlite3 has no official OpenTelemetry instrumentation):
 * the prepared statements' run/get/all are wrapped once, on the Statement prototype, as an
 * instrumentation patches a module. A call gets a CLIENT span only inside a recorded span (an
 * HTTP request's), so seeding and background work make no root traces. The span says the
 * operation and the table, never the statement's parameters nor its text (a literal in it could
 * be a shopper's data).
 */
export function traceShopDatabase(tracer: Tracer): void {
  const probe = new Database(':memory:');
  const statement = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<'run' | 'get' | 'all', (...args: unknown[]) => unknown>;
  probe.close();
  for (const method of ['run', 'get', 'all'] as const) {
    const original = statement[method];
    statement[method] = function traced(this: { source: string }, ...args: unknown[]): unknown {
      const parent = context.active();
      if (trace.getSpan(parent)?.isRecording() !== true) return original.apply(this, args);
      const { name, attributes } = describe(this.source);
      const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
      try {
        return original.apply(this, args);
      } catch (error) {
        span.setAttribute('error.type', (error as { code?: string }).code ?? 'Error');
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    };
  }
}

const described = new Map<string, { name: string; attributes: Attributes }>();
/** A bound on the cache: the shop's statements are a few dozen texts, but `DELETE FROM ${table}` and the like vary. */
const MAX_DESCRIBED = 512;

/** `SELECT products` with db.operation.name and db.collection.name, read from the SQL once per text. */
export function describe(sql: string): { name: string; attributes: Attributes } {
  const known = described.get(sql);
  if (known) return known;
  const operation = /^\s*(?:WITH\b[\s\S]*?\)\s*)?([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase() ?? 'SQL';
  const table = /\b(?:FROM|INTO|UPDATE|JOIN)\s+["`]?([A-Za-z_][A-Za-z0-9_]*)/i.exec(sql)?.[1];
  const attributes: Attributes = { 'db.system': 'sqlite', 'db.system.name': 'sqlite', 'db.operation.name': operation };
  if (table !== undefined) attributes['db.collection.name'] = table;
  const entry = { name: table !== undefined ? `${operation} ${table}` : operation, attributes };
  if (described.size < MAX_DESCRIBED) described.set(sql, entry);
  return entry;
}
