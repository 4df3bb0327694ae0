import { CommandError } from './rules-file';

/** Reads a running proxy's admin port (DESIGN: 127.0.0.1:9901 unless ADMIN_HOST / ADMIN_PORT say otherwise). */
export function adminUrl(explicit: string | undefined): string {
  if (explicit) return explicit.replace(/\/+$/, '');
  const host = process.env.ADMIN_HOST || '127.0.0.1';
  return `http://${host}:${process.env.ADMIN_PORT || '9901'}`;
}

/** How a user points the CLI at the admin port, for every message that could not reach it. */
export const ADMIN_HINT = 'set --admin URL, or ADMIN_PORT / ADMIN_HOST';

/** The proxy's admin port did not answer; a one-line refusal for the user, never a stack trace. */
export class AdminUnreachable extends CommandError {}

async function get(url: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(3000) });
  } catch (error) {
    const why = (error as Error).cause ? String((error as { cause: Error }).cause.message ?? (error as Error).cause) : (error as Error).message;
    throw new AdminUnreachable(`cannot reach the proxy admin at ${url} (${why}); is the proxy running, with its admin port there? (${ADMIN_HINT})`);
  }
  if (!response.ok) throw new AdminUnreachable(`the proxy admin at ${url} answered ${response.status}; is that the proxy's admin port? (${ADMIN_HINT})`);
  return response.text();
}

export interface StatusRoute {
  name: string; group: string; percent: number; killed: boolean; extracted: string; shadow: { percent: number; budget: number } | null;
  match?: { methods: string[] | null; path: string; headers: Record<string, string[]> | null; cookies: Record<string, string[]> | null };
  websocket?: boolean;
  /** Absent from proxies older than the plan that compares them. */
  settings?: Record<string, string>;
}

/** An upstream as the running proxy resolved it (`${VAR:-default}` expanded in the proxy's environment). */
export interface StatusUpstream { name: string; url: string }

export interface ProxyStatus { file: string; hash?: string; epoch: number; routes: StatusRoute[]; upstreams?: StatusUpstream[] }

export async function fetchStatus(base: string): Promise<ProxyStatus> {
  return JSON.parse(await get(`${base}/status`)) as ProxyStatus;
}

export async function fetchMetrics(base: string): Promise<string> {
  return get(`${base}/metrics`);
}

/** The value of a metric's first sample (unlabelled, or its first labelled series); NaN when it is absent. */
export function metricValue(text: string, name: string): number {
  return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
}

/** Sums the samples of one metric whose labels satisfy `keep`. */
export function sumMetric(text: string, name: string, keep: (labels: Record<string, string>) => boolean): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    const labels: Record<string, string> = {};
    for (const m of line.slice(name.length + 1, close).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]] = m[2];
    if (keep(labels)) total += Number(line.slice(close + 1).trim());
  }
  return total;
}
