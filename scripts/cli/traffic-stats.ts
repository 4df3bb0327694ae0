/**
 * What `strangler traffic` counts per route: answers by kind (served, shed by the proxy's
 * admission control, rate limited, other errors), requests that got no answer, and the latency of
 * the served ones.
 */

/** How one request ended, as the summary counts it. */
export type AnswerKind = 'ok' | 'shed' | 'rateLimited' | 'otherError' | 'noAnswer';

/** Classifies an answer by status and the proxy's error code (`{error: {code}}` in a JSON body). */
export function classify(status: number, code: string | null): AnswerKind {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 503 && code === 'STRANGLER_ERR_OVERLOADED') return 'shed';
  if (status === 429) return 'rateLimited';
  return 'otherError';
}

/** The proxy's error code in a JSON error body, or null. */
export function errorCodeOf(json: unknown): string | null {
  const code = (json as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' ? code : null;
}

export interface RouteSummary {
  route: string;
  requests: number;
  ok: number; shed: number; rateLimited: number; otherError: number; noAnswer: number;
  /** Latency of the 2xx answers (ms); null without any. */
  p50Ms: number | null; p99Ms: number | null;
}

/** The q-quantile (nearest rank) of `values`, or null when empty. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
}

class RouteCounts {
  readonly counts: Record<AnswerKind, number> = { ok: 0, shed: 0, rateLimited: 0, otherError: 0, noAnswer: 0 };
  readonly okMs: number[] = [];
}

export class TrafficStats {
  private readonly routes = new Map<string, RouteCounts>();

  record(route: string, kind: AnswerKind, ms: number): void {
    let counts = this.routes.get(route);
    if (!counts) { counts = new RouteCounts(); this.routes.set(route, counts); }
    counts.counts[kind]++;
    if (kind === 'ok') counts.okMs.push(ms);
  }

  summary(): RouteSummary[] {
    return [...this.routes].sort(([a], [b]) => a.localeCompare(b)).map(([route, c]) => ({
      route, requests: Object.values(c.counts).reduce((a, b) => a + b, 0), ...c.counts, p50Ms: quantile(c.okMs, 0.5), p99Ms: quantile(c.okMs, 0.99),
    }));
  }
}

/** Checkouts (POST /api/checkout) by the simulated shoppers: ok = 2xx, failed = any other answer or none. */
export class CheckoutStats {
  ok = 0;
  failed = 0;
  private readonly ms: number[] = [];

  record(ok: boolean, ms: number): void {
    if (ok) this.ok++; else this.failed++;
    this.ms.push(ms);
  }

  summary(): { ok: number; failed: number; p50Ms: number | null; p99Ms: number | null } {
    return { ok: this.ok, failed: this.failed, p50Ms: quantile(this.ms, 0.5), p99Ms: quantile(this.ms, 0.99) };
  }
}

/** The summary as a table for people. */
export function formatSummary(rows: readonly RouteSummary[]): string[] {
  const head = ['route', 'requests', '2xx', '503 shed', '429', 'other errors', 'no answer', 'p50 ms', 'p99 ms'];
  const cells = rows.map((r) => [r.route, r.requests, r.ok, r.shed, r.rateLimited, r.otherError, r.noAnswer, r.p50Ms ?? '-', r.p99Ms ?? '-'].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)) + 2);
  return [head, ...cells].map((row) => row.map((c, i) => c.padEnd(widths[i])).join('').trimEnd());
}
