import { compilePathPattern } from '../../proxy/rules/path-pattern';
import { fetchStatus, type StatusRoute } from './admin-client';
import { CommandError, unknownRoute } from './rules-file';
import { classify, errorCodeOf, type TrafficStats } from './traffic-stats';

/** One request the flood sends again and again: the route's match made concrete. */
export interface FloodTarget { readonly route: string; readonly method: string; readonly path: string; readonly headers: Readonly<Record<string, string>> }

export interface FloodOptions { readonly base: string; readonly rps: number; readonly durationMs: number; readonly maxInFlight: number; readonly timeoutMs: number }

/** Which route a request went to, from the proxy's /status (for requests that got no answer to say it). */
export type RouteOf = (method: string, path: string) => string | null;

export function routeMatcher(routes: readonly StatusRoute[]): RouteOf {
  const compiled = routes.filter((r) => r.match).map((r) => ({ name: r.name, methods: r.match!.methods, pattern: compilePathPattern(r.match!.path) }));
  return (method, target) => {
    const path = target.split('?')[0];
    return compiled.find((r) => (r.methods === null || r.methods.includes(method)) && r.pattern.test(path))?.name ?? null;
  };
}

async function shopJson(base: string, path: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new CommandError(`the shop answered ${response.status} to GET ${path} while looking for values to fill the flood's path`);
  return (await response.json()) as Record<string, unknown>;
}

/**
 * The route's path with its parameters filled by real values from the shop: a name ending in
 * `id` gets a product id, `sku` a variant's SKU, `slug` or `category` a category slug; optional
 * groups (`{…}`) are left out, wildcards get `x`.
 */
async function concretePath(base: string, pattern: string): Promise<string> {
  const names = [...pattern.replace(/\{[^}]*\}/g, '').matchAll(/:([A-Za-z_$][A-Za-z0-9_$]*)/g)].map((m) => m[1]);
  const values: Record<string, string> = {};
  if (names.some((n) => /id$|sku$/i.test(n))) {
    const items = ((await shopJson(base, '/api/products?page=1')).items as Array<{ id: number; variants?: Array<{ sku: string }> }> | undefined) ?? [];
    if (items.length === 0) throw new CommandError('the shop lists no products to fill the flood\'s path with');
    values.id = String(items[0].id);
    values.sku = items[0].variants?.[0]?.sku ?? '';
  }
  if (names.some((n) => /slug$|category$/i.test(n))) {
    const categories = ((await shopJson(base, '/api/categories')).categories as Array<{ slug: string }> | undefined) ?? [];
    values.slug = categories[0]?.slug ?? '';
  }
  return pattern.replace(/\{[^}]*\}/g, '').replace(/\*("[^"]*"|[A-Za-z_$][A-Za-z0-9_$]*)/g, 'x').replace(/:("[^"]*"|[A-Za-z_$][A-Za-z0-9_$]*)/g, (_whole, name: string) => {
    const value = /sku$/i.test(name) ? values.sku : /id$/i.test(name) ? values.id : /slug$|category$/i.test(name) ? values.slug : undefined;
    if (!value) throw new CommandError(`cannot fill :${name} in ${pattern} with a value from the shop (known: names ending in id, sku, slug or category)`);
    return encodeURIComponent(value);
  });
}

/** The flood's request for ROUTE, from its match in the running proxy's /status. */
export async function floodTarget(admin: string, base: string, route: string): Promise<{ target: FloodTarget; routeOf: RouteOf }> {
  let routes: StatusRoute[];
  try {
    routes = (await fetchStatus(admin)).routes;
  } catch (error) {
    throw new CommandError(`--flood needs the route's match from the proxy's /status: ${(error as Error).message}`);
  }
  const found = routes.find((r) => r.name === route);
  if (!found) throw unknownRoute(route, routes.map((r) => r.name), `the running proxy (${admin})`);
  if (!found.match) throw new CommandError(`the proxy at ${admin} does not report route matches in /status (too old for --flood)`);
  if (found.websocket) throw new CommandError(`route "${route}" is a WebSocket route: --flood sends plain HTTP requests`);
  const methods = found.match.methods;
  const method = methods === null || methods.includes('GET') ? 'GET' : methods[0];
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(found.match.headers ?? {})) headers[name] = values[0];
  const cookies = Object.entries(found.match.cookies ?? {}).map(([name, values]) => `${name}=${values[0]}`);
  if (cookies.length > 0) headers.cookie = cookies.join('; ');
  if (method !== 'GET' && method !== 'HEAD') headers['content-type'] = 'application/json';
  return { target: { route, method, path: await concretePath(base, found.match.path), headers }, routeOf: routeMatcher(routes) };
}

const TICK_MS = 5;

/**
 * Open loop: request k is due at k / rps seconds after the start, whatever the earlier ones take,
 * until the duration ends. A request due while `maxInFlight` are still out is not sent (counted),
 * so a stalled proxy cannot make this process pile up sockets and memory. Resolves when every
 * request sent has its answer or its timeout.
 */
export async function runFlood(target: FloodTarget, options: FloodOptions, stats: TrafficStats, label: string): Promise<{ sent: number; notSent: number }> {
  const started = performance.now();
  let sent = 0;
  let notSent = 0;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const body = target.method === 'GET' || target.method === 'HEAD' ? undefined : '{}';
  const fire = (): void => {
    inFlight++;
    sent++;
    const t0 = performance.now();
    const done = (async () => {
      try {
        const response = await fetch(`${options.base}${target.path}`, { method: target.method, headers: target.headers, body, redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs) });
        const text = await response.text();
        let code: string | null = null;
        if ((response.headers.get('content-type') ?? '').includes('json')) { try { code = errorCodeOf(JSON.parse(text)); } catch { code = null; } }
        stats.record(label, classify(response.status, code), performance.now() - t0);
      } catch {
        stats.record(label, 'noAnswer', performance.now() - t0);
      } finally {
        inFlight--;
      }
    })();
    pending.add(done);
    void done.finally(() => pending.delete(done));
  };
  while (performance.now() - started < options.durationMs) {
    const due = Math.floor(((performance.now() - started) * options.rps) / 1000);
    while (sent + notSent < due) {
      if (inFlight >= options.maxInFlight) notSent++;
      else fire();
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all(pending);
  return { sent, notSent };
}
