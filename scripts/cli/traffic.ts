import crypto from 'node:crypto';
import { prng } from '../../legacy-monolith/src/db/prng';
import { adminUrl, fetchStatus, type StatusRoute } from './admin-client';
import { checkAdminOption, noArguments, out, parse, usageError, type CommandCall } from './command-line';
import { unknownRoute } from './rules-file';
import { ConversionTally, formatConversion } from './shopper-conversion';
import {
  addsToCart, checksOut, conversionFactor, DEFAULT_RATES, paysWithDeclinedCard, parseDegrades, parseRate, productViews, sideOfBackend, visitsPerShopper,
  type Degrade, type FunnelRates, type Side,
} from './shopper-funnel';
import { floodTarget, runFlood, type FloodTarget, type RouteOf } from './traffic-flood';
import { CheckoutStats, classify, errorCodeOf, formatSummary, TrafficStats } from './traffic-stats';

/**
 * `strangler traffic`: simulated shoppers browsing, adding to cart and checking out through the
 * proxy, each with its own cookies (so the proxy's strangler_id keeps them sticky), following the
 * funnel of shopper-funnel.ts. Bounded by --duration; prints what was served by which side, and
 * how often the shoppers of each side of the guarded routes bought.
 */
export interface TrafficOptions {
  url: string; shoppers: number; durationMs: number; seed?: number; json?: boolean;
  /** The proxy's admin port: /status says which routes have a guard (and --flood's route). */
  admin: string;
  /** --flood ROUTE --rps N: one route flooded open-loop (traffic-flood.ts) while the shoppers go on. */
  flood?: { route: string; rps: number; maxInFlight: number };
  rates?: FunnelRates;
  degrades?: readonly Degrade[];
}

interface Tally { [key: string]: number }

/** Where a shopper's requests are counted. */
interface Recorder { tally: Tally; stats: TrafficStats; checkouts: CheckoutStats; routeOf: RouteOf; conversion: ConversionTally }

/** What every shopper's funnel follows. */
interface Funnel { rates: FunnelRates; degrades: readonly Degrade[] }

/** About how long a shopper takes over the payment form (±50 %). */
const PAYMENT_FORM_MS = 500;

class Shopper {
  private readonly cookies = new Map<string, string>();
  /** The side of this shopper's latest request to each route the proxy routed. */
  private readonly sides = new Map<string, Side>();
  private readonly region: string;
  readonly id: string;

  constructor(private readonly base: string, private readonly recorder: Recorder, private readonly rand: () => number, private readonly funnel: Funnel) {
    this.region = ['us', 'us', 'eu', 'apac'][Math.floor(rand() * 4)];
    this.id = crypto.randomUUID();
  }

  private readonly sideSeen = (route: string): Side | null => this.sides.get(route) ?? null;

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rand() * items.length)];
  }

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> | null }> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const started = performance.now();
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method, redirect: 'manual', signal: AbortSignal.timeout(10000),
        headers: { 'x-region': this.region, ...(cookie ? { cookie } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      this.recorder.stats.record(this.recorder.routeOf(method, path) ?? '?', 'noAnswer', performance.now() - started);
      throw error;
    }
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    const routed = response.headers.get('x-strangler-route');
    const side = sideOfBackend(response.headers.get('x-strangler-backend'));
    if (routed !== null && side !== null) {
      this.sides.set(routed, side);
      this.recorder.conversion.exposed(routed, side, this.id);
    }
    const key = `${routed ?? '?'}\t${response.headers.get('x-strangler-backend') ?? '?'}\t${response.status}`;
    this.recorder.tally[key] = (this.recorder.tally[key] ?? 0) + 1;
    const text = await response.text();
    let json: Record<string, unknown> | null = null;
    if ((response.headers.get('content-type') ?? '').includes('json')) { try { json = JSON.parse(text); } catch { json = null; } }
    const route = response.headers.get('x-strangler-route') ?? this.recorder.routeOf(method, path) ?? '?';
    this.recorder.stats.record(route, classify(response.status, errorCodeOf(json)), performance.now() - started);
    return { status: response.status, json };
  }

  /** One visit (shopper-funnel.ts): browse a list and a few products, maybe add to cart, sometimes check out. */
  async visit(): Promise<void> {
    const { rates, degrades } = this.funnel;
    const categories = (await this.call('GET', '/api/categories')).json?.categories as Array<{ slug: string }> | undefined;
    if (!categories) return;
    await this.call('GET', '/');
    const list = await this.call('GET', `/api/products?category=${this.pick(categories).slug}&page=${1 + Math.floor(this.rand() * 3)}&sort=${this.pick(['relevance', 'price_asc', 'newest'])}`);
    const items = (list.json?.items as Array<{ id: number; variants: Array<{ sku: string; stock: number }> }> | undefined) ?? [];
    if (items.length === 0) return;
    let product = this.pick(items);
    for (let views = productViews(this.rand); views > 0; views--) {
      product = this.pick(items);
      await this.call('GET', `/api/products/${product.id}`);
      await this.call('GET', `/api/pricing/products/${product.id}`);
    }
    if (this.rand() < 0.3) await this.call('GET', '/api/promotions');
    const variant = product.variants.find((v) => v.stock > 2);
    if (!variant) return;
    await this.call('POST', '/api/pricing/quote', { lines: [{ sku: variant.sku, quantity: 1 + Math.floor(this.rand() * 2) }], ...(this.rand() < 0.3 ? { coupon: 'WELCOME10' } : {}) });
    if (!addsToCart(this.rand, rates)) return;
    await this.call('POST', '/api/cart/items', { sku: variant.sku, quantity: 1 });
    await this.call('GET', '/api/cart');
    await this.call('POST', '/api/checkout/quote');
    if (!checksOut(this.rand, rates, conversionFactor(degrades, this.sideSeen))) return;
    // A shopper fills in the payment form before paying. Without that pause a mirror of the
    // checkout quote, still on its way on a busy machine, would quote a cart the order had emptied.
    await new Promise((resolve) => setTimeout(resolve, PAYMENT_FORM_MS * (0.5 + this.rand())));
    const started = performance.now();
    let order: Awaited<ReturnType<Shopper['call']>>;
    try {
      order = await this.call('POST', '/api/checkout', {
        email: `shopper-${this.id.slice(0, 8)}@example.com`,
        shipTo: { name: 'Sam Shopper', line1: '1 Test St', city: 'Testville', postalCode: '12345', country: this.region === 'us' ? 'US' : this.region === 'eu' ? 'DE' : 'JP' },
        // One card in ten is declined (a 402): counted as a failed checkout, as a shopper sees it.
        card: { number: paysWithDeclinedCard(this.rand) ? '4000 0000 0000 0002' : '4242 4242 4242 4242', expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' },
      }, { 'idempotency-key': crypto.randomUUID() });
    } catch (error) {
      this.recorder.checkouts.record(false, performance.now() - started);
      throw error;
    }
    const ordered = order.status >= 200 && order.status < 300;
    this.recorder.checkouts.record(ordered, performance.now() - started);
    if (ordered) this.recorder.conversion.converted(this.id, this.sideSeen);
    const id = (order.json?.order as { id?: number } | undefined)?.id;
    if (id !== undefined) await this.call('GET', `/api/orders/${id}`);
  }
}

/** Why the proxy cannot be reached, or null when it answers (any status). */
async function unreachable(url: string): Promise<string | null> {
  try {
    const response = await fetch(`${url}/`, { signal: AbortSignal.timeout(3000) });
    await response.arrayBuffer();
    return null;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    return cause;
  }
}

/**
 * The routes whose conversion per side the summary shows: those with a guard in the running
 * proxy's /status, and every --degrade'd one. Without the admin port, the --degrade'd ones only;
 * with it, a --degrade'd route the proxy does not have is refused.
 */
async function watchedRoutes(admin: string, degrades: readonly Degrade[]): Promise<string[]> {
  let routes: StatusRoute[] | null;
  try {
    routes = (await fetchStatus(admin)).routes;
  } catch {
    routes = null;
  }
  const names = routes?.map((r) => r.name) ?? [];
  for (const d of degrades) if (routes !== null && !names.includes(d.route)) throw unknownRoute(d.route, names, `the running proxy (${admin})`);
  const guarded = routes?.filter((r) => r.settings?.guard !== undefined && r.settings.guard !== 'none').map((r) => r.name) ?? [];
  return [...new Set([...guarded, ...degrades.map((d) => d.route)])];
}

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 2000;

const FLOOD_TIMEOUT_MS = 5000;

/**
 * `strangler traffic`: the shoppers for --duration, and with --flood one route flooded at the same
 * time. Prints what each route served from which side; with --flood (or --json) also per route the
 * answers by kind, no answers and latency, and the shoppers' checkouts.
 */
export async function runTraffic(options: TrafficOptions, out: (line: string) => void): Promise<number> {
  const base = options.url.replace(/\/+$/, '');
  const why = await unreachable(base);
  if (why !== null) {
    out(`cannot connect to ${base} (${why}): is npm start running, with the proxy there? (set --url URL, or PROXY_PORT)`);
    return 1;
  }
  let target: FloodTarget | null = null;
  let routeOf: RouteOf = () => null;
  if (options.flood) ({ target, routeOf } = await floodTarget(options.admin, base, options.flood.route));
  const funnel: Funnel = { rates: options.rates ?? DEFAULT_RATES, degrades: options.degrades ?? [] };
  const conversion = new ConversionTally(await watchedRoutes(options.admin, funnel.degrades));
  const recorder: Recorder = { tally: {}, stats: new TrafficStats(), checkouts: new CheckoutStats(), routeOf, conversion };
  const rand = prng(options.seed ?? Date.now());
  const until = Date.now() + options.durationMs;
  let visitsMade = 0;
  let failures = 0;
  let backoffMs = 0;
  const loop = async (): Promise<void> => {
    while (Date.now() < until) {
      const shopper = new Shopper(base, recorder, rand, funnel);
      const visits = visitsPerShopper(rand);
      for (let i = 0; i < visits && Date.now() < until; i++) {
        try {
          await shopper.visit();
          visitsMade++;
          backoffMs = 0;
        } catch {
          failures++;
          // The proxy went away (restart, crash): wait before the next try instead of spinning.
          backoffMs = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, backoffMs * 2));
          await new Promise((resolve) => setTimeout(resolve, Math.min(backoffMs, Math.max(0, until - Date.now()))));
        }
      }
    }
  };
  const floodLabel = target ? `${target.route} (flood)` : '';
  const [, flooded] = await Promise.all([
    Promise.all(Array.from({ length: options.shoppers }, loop)),
    target && options.flood ? runFlood(target, { base, rps: options.flood.rps, durationMs: options.durationMs, maxInFlight: options.flood.maxInFlight, timeoutMs: FLOOD_TIMEOUT_MS }, recorder.stats, floodLabel) : null,
  ]);
  const rows = Object.entries(recorder.tally).map(([key, n]) => [...key.split('\t'), String(n)]).sort((a, b) => a[0].localeCompare(b[0]) || a[1].localeCompare(b[1]) || a[2].localeCompare(b[2]));
  const total = rows.reduce((sum, r) => sum + Number(r[3]), 0);
  const routes = recorder.stats.summary();
  const flood = target && options.flood && flooded ? {
    route: target.route, method: target.method, path: target.path, rps: options.flood.rps, maxInFlight: options.flood.maxInFlight, ...flooded,
    answers: routes.find((r) => r.route === floodLabel) ?? null,
  } : null;
  if (options.json) {
    out(JSON.stringify({
      url: base, shoppers: options.shoppers, durationS: options.durationMs / 1000, visits: visitsMade, failedVisits: failures,
      routes: routes.filter((r) => r.route !== floodLabel), flood, checkouts: recorder.checkouts.summary(),
      funnel: { cartRate: funnel.rates.cart, checkoutRate: funnel.rates.checkout, degrades: funnel.degrades }, conversion: conversion.summary(funnel.degrades),
    }, null, 2));
  } else {
    out(`${visitsMade} visits by ${options.shoppers} concurrent shoppers in ${Math.round(options.durationMs / 1000)} s: ${total} requests, ${failures} failed visits`);
    out(['route', 'backend', 'status', 'requests'].map((h, i) => h.padEnd(i === 0 ? 22 : 16)).join(''));
    for (const r of rows) out(r.map((c, i) => c.padEnd(i === 0 ? 22 : 16)).join(''));
    if (flood) {
      out('');
      out(`flood: ${flood.method} ${flood.path} (route ${flood.route}) at ${flood.rps}/s for ${Math.round(options.durationMs / 1000)} s: ${flood.sent} sent, ${flood.notSent} not sent (${flood.maxInFlight} already in flight)`);
      for (const line of formatSummary([...routes.filter((r) => r.route === floodLabel), ...routes.filter((r) => r.route !== floodLabel)])) out(line);
      const c = recorder.checkouts.summary();
      out(`checkouts by the shoppers: ${c.ok} ok, ${c.failed} failed, p50 ${c.p50Ms ?? '-'} ms, p99 ${c.p99Ms ?? '-'} ms`);
    }
    if (conversion.routes.length > 0) {
      out('');
      out('conversion as the shoppers saw it (shoppers served each side of the route, and how many of them then bought):');
      for (const line of formatConversion(conversion.summary(funnel.degrades))) out(line);
    }
  }
  return failures > 0 && visitsMade === 0 ? 1 : 0;
}

/** `strangler traffic [--shoppers N] [--duration S] [--url URL] [--cart-rate P] [--checkout-rate P] [--degrade ROUTE:SIDE:FACTOR]… [--flood ROUTE --rps N [--max-in-flight M]] [--admin URL] [--json]`. */
export async function trafficCommand(call: CommandCall): Promise<number> {
  const { command } = call;
  const { values, positionals } = parse(call, {
    shoppers: { type: 'string' }, duration: { type: 'string' }, url: { type: 'string' }, json: { type: 'boolean' },
    flood: { type: 'string' }, rps: { type: 'string' }, 'max-in-flight': { type: 'string' }, admin: { type: 'string' },
    'cart-rate': { type: 'string' }, 'checkout-rate': { type: 'string' }, degrade: { type: 'string', multiple: true },
  });
  noArguments(positionals, command);
  const shoppers = Number(values.shoppers ?? 10);
  const duration = Number(values.duration ?? 60);
  if (!Number.isInteger(shoppers) || shoppers < 1 || shoppers > 1000) usageError(`--shoppers must be a whole number from 1 to 1000, got "${values.shoppers}"`, command);
  if (!(duration > 0 && duration <= 3600)) usageError(`--duration must be seconds from 1 to 3600, got "${values.duration}"`, command);
  if ((values.rps !== undefined || values['max-in-flight'] !== undefined) && values.flood === undefined) usageError('--rps and --max-in-flight go with --flood ROUTE', command);
  const rps = Number(values.rps);
  if (values.flood !== undefined && !(Number.isInteger(rps) && rps >= 1 && rps <= 10000)) usageError(`--flood needs --rps N, a whole number from 1 to 10000${values.rps === undefined ? '' : `, got "${values.rps}"`}`, command);
  const maxInFlight = Number(values['max-in-flight'] ?? 256);
  if (!(Number.isInteger(maxInFlight) && maxInFlight >= 1 && maxInFlight <= 10000)) usageError(`--max-in-flight must be a whole number from 1 to 10000, got "${values['max-in-flight']}"`, command);
  checkAdminOption(values.admin, command);
  let rates: FunnelRates;
  let degrades: Degrade[];
  try {
    rates = { cart: parseRate('cart-rate', values['cart-rate'], DEFAULT_RATES.cart), checkout: parseRate('checkout-rate', values['checkout-rate'], DEFAULT_RATES.checkout) };
    degrades = parseDegrades(values.degrade ?? []);
  } catch (error) {
    return usageError((error as Error).message, command);
  }
  const url = values.url ?? `http://127.0.0.1:${process.env.PROXY_PORT ?? 8080}`;
  const flood = values.flood === undefined ? undefined : { route: values.flood, rps, maxInFlight };
  return runTraffic({ url, shoppers, durationMs: duration * 1000, json: Boolean(values.json), admin: adminUrl(values.admin), flood, rates, degrades }, out);
}
