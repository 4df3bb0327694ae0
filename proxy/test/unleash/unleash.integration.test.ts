/**
 * Routes following Unleash flags, against a real Unleash server (unleash-server 6 over PostgreSQL).
 * Run with `npm run test:unleash`, which installs and starts what it needs; .ci/run runs it.
 *
 * unleash-client's own isEnabled is the oracle: for the same identities and group, the proxy must
 * send exactly the shoppers to extracted that the SDK says are in the rollout.
 */
import path from 'node:path';
import { InMemStorageProvider, Unleash, UnleashEvents } from 'unleash-client';
import { metricValue } from '../../../scripts/cli/admin-client';
import { request } from '../../../scripts/testing/http-client';
import { tempDir } from '../../../scripts/testing/processes';
import { until } from '../../../scripts/testing/wait';
import { startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';
import { startTestUnleash, type TestUnleash } from '../../../scripts/testing/unleash-server';
import { destroyQuietly } from '../../flags/unleash-source';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';

const REFRESH_MS = 1000;
const IDENTITIES = Array.from({ length: 400 }, (_, i) => `shopper-${i}`);

interface RouteStatus {
  name: string; percent: number; percentSource: string; flag: string | null;
  flagState: { enabled: boolean; rolloutPercent: number; fetchedAt: string | null; stateFrom: string } | null;
  flagWarnings: string[];
}
interface Status { unleash: Record<string, unknown> & { consecutiveFailures?: number; stateFrom?: string; lastFetchAt?: string | null }; routes: RouteStatus[] }

let unleash: TestUnleash;
let clientToken: string;
let legacy: TestUpstream;
let extracted: TestUpstream;
let proxy: TestProxy;
let oracle: Unleash;
const backupDir = tempDir('unleash-backup');

const rules = (l: string, e: string): string => `version: 1
upstreams:
  legacy: ${l}
  svc: ${e}
defaults:
  sticky_by: [header:x-user-id]
  context:
    region: [header:x-region, cookie:region]
routes:
  - name: quote-eu
    match: { path: /api/quote }
    extracted: svc
    group: pricing
    flag: quote-eu
  - name: beta-list
    match: { path: /api/beta }
    extracted: svc
    group: catalog
    flag: beta-list
    context: { beta: [cookie:beta] }
  - name: tenant
    match: { path: /api/tenant }
    extracted: svc
    group: tenant
    flag: tenant-only
  - name: product-list
    match: { path: /api/products }
    extracted: svc
    percent: 0
    group: catalog
    flag: catalog-rollout
  - name: pricing
    match: { path: /api/prices }
    extracted: svc
    percent: 0
    group: pricing
    flag: pricing-rollout
  - name: reviews
    match: { path: /api/reviews }
    extracted: svc
    percent: 20
    flag: flag-nobody-created
`;

const proxyEnv = (dir: string): Record<string, string> => ({
  UNLEASH_URL: unleash.admin.clientApiUrl,
  UNLEASH_API_TOKEN: clientToken,
  UNLEASH_APP_NAME: 'strangler-it',
  UNLEASH_REFRESH_INTERVAL_MS: String(REFRESH_MS),
  UNLEASH_BACKUP_DIR: dir,
});

async function status(p: TestProxy = proxy): Promise<Status> {
  return (await request({ port: p.adminPort, path: '/status' })).json<Status>();
}

async function route(name: string, p: TestProxy = proxy): Promise<RouteStatus> {
  return (await status(p)).routes.find((r) => r.name === name)!;
}

/** Which shoppers the proxy sends to extracted on a route, asking it for real (20 requests at a time). */
async function extractedShoppers(urlPath: string, p: TestProxy = proxy): Promise<Set<string>> {
  const chosen = new Set<string>();
  for (let i = 0; i < IDENTITIES.length; i += 20) {
    const batch = IDENTITIES.slice(i, i + 20);
    const answers = await Promise.all(batch.map((id) => request({ port: p.port, path: urlPath, headers: { 'x-user-id': id } })));
    answers.forEach((res, j) => {
      expect(res.status).toBe(200);
      if (res.headers['x-strangler-backend'] === 'extracted') chosen.add(batch[j]);
    });
  }
  return chosen;
}

/**
 * The rollout Unleash serves right now to a polling SDK: the full client API with the ETag of the
 * last answer, as unleash-client asks (Unleash answers 304 until its revision timer publishes).
 */
const polled = { etag: '', features: [] as Array<{ name: string; strategies: Array<{ name: string; parameters: Record<string, string> }> }> };
async function clientApiRollout(flag: string): Promise<number | null> {
  const response = await fetch(`${unleash.admin.clientApiUrl}client/features`, { headers: { authorization: clientToken, 'if-none-match': polled.etag } });
  if (response.status === 200) {
    polled.etag = response.headers.get('etag') ?? '';
    polled.features = ((await response.json()) as typeof polled).features;
  } else if (response.status !== 304) {
    return null;
  }
  const strategy = polled.features.find((f) => f.name === flag)?.strategies.find((s) => s.name === 'flexibleRollout');
  return strategy ? Number(strategy.parameters.rollout) : null;
}

function oracleShoppers(flag: string): Set<string> {
  return new Set(IDENTITIES.filter((id) => oracle.isEnabled(flag, { userId: id })));
}

async function oracleSees(flag: string, rollout: number): Promise<void> {
  await until(`unleash-client to see ${flag} at ${rollout}%`, async () => {
    const strategy = oracle.getFeatureToggleDefinition(flag)?.strategies?.find((s) => s.name === 'flexibleRollout');
    return strategy !== undefined && Number(strategy.parameters.rollout) === rollout;
  }, 10_000);
}

beforeAll(async () => {
  unleash = await startTestUnleash();
  clientToken = await unleash.admin.createClientToken('strangler-integration-test');
  await unleash.admin.upsertRolloutFlag({ name: 'catalog-rollout', rollout: 10, groupId: 'catalog' });
  // Set up the way a team might by mistake: another groupId and a stickiness the proxy cannot follow.
  await unleash.admin.upsertRolloutFlag({ name: 'pricing-rollout', rollout: 30, groupId: 'pricing-rollout', stickiness: 'sessionId' });
  // Constraints and segments, set in Unleash as a team would in its UI.
  for (const field of ['region', 'beta', 'tenant']) await unleash.admin.ensureContextField(field);
  await unleash.admin.upsertRolloutFlag({ name: 'quote-eu', rollout: 100, groupId: 'pricing', constraints: [{ contextName: 'region', operator: 'IN', values: ['eu'] }] });
  const betaTesters = await unleash.admin.createSegment('beta-testers', [{ contextName: 'beta', operator: 'IN', values: ['yes'] }]);
  await unleash.admin.upsertRolloutFlag({ name: 'beta-list', rollout: 100, groupId: 'catalog', segments: [betaTesters] });
  await unleash.admin.upsertRolloutFlag({ name: 'tenant-only', rollout: 100, groupId: 'tenant', constraints: [{ contextName: 'tenant', operator: 'IN', values: ['acme'] }] });
  [legacy, extracted] = await Promise.all([startUpstream('legacy'), startUpstream('extracted')]);
  proxy = await startTestProxy(rules(legacy.url, extracted.url), proxyEnv(backupDir));
  oracle = new Unleash({
    url: unleash.admin.clientApiUrl, appName: 'strangler-oracle', refreshInterval: 200, disableMetrics: true,
    customHeaders: { Authorization: clientToken }, storageProvider: new InMemStorageProvider(), skipInstanceCountWarning: true,
  });
  oracle.on(UnleashEvents.Error, () => undefined);
  await new Promise<void>((resolve) => oracle.once(UnleashEvents.Synchronized, () => resolve()));
}, 180_000);

afterAll(async () => {
  if (oracle) destroyQuietly(oracle);
  if (proxy) expectNoCrash(proxy);
  await proxy?.stop();
  await Promise.all([legacy?.close(), extracted?.close()]);
  await unleash?.stop();
});

let atTen: Set<string>;
let atFifty: Set<string>;

test("at 10% the proxy picks exactly the shoppers unleash-client's isEnabled picks, and /status says the percent comes from the flag", async () => {
  const productList = await until('the proxy to read catalog-rollout', async () => {
    const r = await route('product-list');
    return r.percentSource === 'flag' ? r : null;
  }, 10_000);
  expect(productList).toMatchObject({ percent: 10, flag: 'catalog-rollout', flagWarnings: [] });
  expect(productList.flagState).toMatchObject({ enabled: true, rolloutPercent: 10, stateFrom: 'server' });
  expect(Date.parse(productList.flagState!.fetchedAt!)).toBeGreaterThan(Date.now() - 60_000);

  atTen = await extractedShoppers('/api/products');
  expect(atTen).toEqual(oracleShoppers('catalog-rollout'));
  // About 10% of 400; the exact set is what matters, this only shows the flag is not 0 or 100.
  expect(atTen.size).toBeGreaterThan(20);
  expect(atTen.size).toBeLessThan(70);
});

test('/status warns when a flag\'s groupId or stickiness would make Unleash SDKs pick other shoppers; an unknown flag keeps the YAML percent', async () => {
  const pricing = await route('pricing');
  expect(pricing.percentSource).toBe('flag');
  expect(pricing.flagWarnings.join('\n')).toMatch(/groupId is "pricing-rollout" but the route's group is "pricing"/);
  expect(pricing.flagWarnings.join('\n')).toMatch(/stickiness is "sessionId"/);
  const reviews = await route('reviews');
  expect(reviews).toMatchObject({ percentSource: 'yaml', percent: 20, flagState: null });
  const s = await status();
  expect(s.unleash).toMatchObject({ configured: true, appName: 'strangler-it', refreshIntervalMs: REFRESH_MS, stateFrom: 'server', consecutiveFailures: 0 });
});

test('a ramp to 50% in Unleash reaches the proxy within the refresh interval; nobody in the first 10% moves back', async () => {
  expect(await clientApiRollout('catalog-rollout')).toBe(10);
  const changedAt = Date.now();
  await unleash.admin.setRollout('catalog-rollout', 50);
  // Unleash itself publishes a change to polling SDKs on a 1 s timer; the proxy's part starts when
  // Unleash serves the new rollout, and must end within one refresh interval.
  const [servedAt, followedAt] = await Promise.all([
    until('Unleash to serve 50% on its client API', async () => ((await clientApiRollout('catalog-rollout')) === 50 ? Date.now() : null), 5_000),
    until('the proxy to follow the ramp to 50%', async () => ((await route('product-list')).percent === 50 ? Date.now() : null), 5_000),
  ]);
  process.stdout.write(`Unleash served the ramp after ${servedAt - changedAt} ms; the proxy followed ${followedAt - servedAt} ms later (refresh interval ${REFRESH_MS} ms)\n`);
  expect(followedAt - servedAt).toBeLessThanOrEqual(REFRESH_MS + 300);

  await oracleSees('catalog-rollout', 50);
  atFifty = await extractedShoppers('/api/products');
  expect(atFifty).toEqual(oracleShoppers('catalog-rollout'));
  for (const id of atTen) expect(atFifty.has(id)).toBe(true);
  expect(atFifty.size).toBeGreaterThan(atTen.size * 3);
});

describe('constraints and segments set in Unleash apply to each request\'s context', () => {
  const side = async (urlPath: string, headers: Record<string, string>): Promise<string> =>
    (await request({ port: proxy.port, path: urlPath, headers: { 'x-user-id': 'shopper-1', ...headers } })).headers['x-strangler-backend'] as string;
  beforeAll(async () => {
    await until('the proxy to read the constrained flags', async () => {
      const routes = (await status()).routes.filter((r) => ['quote-eu', 'beta-list', 'tenant'].includes(r.name));
      return routes.every((r) => r.percentSource === 'flag');
    }, 10_000);
  });

  test('a flag constrained to region IN [eu] at 100% sends EU shoppers (by header, then by cookie) to extracted and US shoppers to legacy', async () => {
    expect(await side('/api/quote', { 'x-region': 'eu' })).toBe('extracted');
    expect(await side('/api/quote', { cookie: 'region=eu' })).toBe('extracted');
    expect(await side('/api/quote', { 'x-region': 'us' })).toBe('legacy');
    expect(await side('/api/quote', { cookie: 'region=us' })).toBe('legacy');
    for (const id of IDENTITIES.slice(0, 40)) {
      expect(await side('/api/quote', { 'x-user-id': id, 'x-region': 'eu' })).toBe(oracle.isEnabled('quote-eu', { userId: id, properties: { region: 'eu' } }) ? 'extracted' : 'legacy');
    }
  });

  test('a segment defined in Unleash does the same', async () => {
    expect(await side('/api/beta', { cookie: 'beta=yes' })).toBe('extracted');
    expect(await side('/api/beta', { cookie: 'beta=no' })).toBe('legacy');
  });

  test('a context field the rules do not map is absent from the context', async () => {
    expect(await side('/api/tenant', { 'x-tenant': 'acme', cookie: 'tenant=acme' })).toBe('legacy');
  });
});

test('with Unleash stopped, routing continues on the last known state; the failures are a metric and a log line', async () => {
  await unleash.stop();
  await until('the proxy to notice Unleash is gone', async () => ((await status()).unleash.consecutiveFailures ?? 0) > 0, REFRESH_MS * 5);
  const metrics = (await request({ port: proxy.adminPort, path: '/metrics' })).body;
  const failures = metricValue(metrics, 'strangler_flag_fetch_failures_total');
  expect(failures).toBeGreaterThan(0);
  await proxy.process.waitForLine((l) => l.includes('Unleash flag fetch failed'), 3000);

  expect(await route('product-list')).toMatchObject({ percent: 50, percentSource: 'flag' });
  expect(await extractedShoppers('/api/products')).toEqual(atFifty);
});

test('a proxy restarted while Unleash is down starts at once from the backup file in its data directory', async () => {
  const restarted = await startTestProxy(rules(legacy.url, extracted.url), proxyEnv(backupDir));
  try {
    const productList = await until('the restarted proxy to load the backup', async () => {
      const r = await route('product-list', restarted);
      return r.percentSource === 'flag' ? r : null;
    }, 5_000);
    expect(productList).toMatchObject({ percent: 50 });
    expect(productList.flagState).toMatchObject({ stateFrom: 'backup' });
    expect(await extractedShoppers('/api/products', restarted)).toEqual(atFifty);
    expectNoCrash(restarted);
  } finally {
    await restarted.stop();
  }
});

test('a proxy that never reached Unleash and has no backup uses the YAML percent', async () => {
  const fresh = await startTestProxy(rules(legacy.url, extracted.url), proxyEnv(path.join(tempDir('unleash-empty'), 'data')));
  try {
    await until('a failed fetch', async () => ((await status(fresh)).unleash.consecutiveFailures ?? 0) > 0, REFRESH_MS * 5);
    expect(await route('product-list', fresh)).toMatchObject({ percent: 0, percentSource: 'yaml', flagState: null });
    expect((await extractedShoppers('/api/products', fresh)).size).toBe(0);
    expectNoCrash(fresh);
  } finally {
    await fresh.stop();
  }
});
