/**
 * Unleash that cannot be reached never costs a shopper anything: requests are served on the YAML
 * percent, and the failures show as a metric, a log line and in /status. (The behaviour against
 * a real Unleash server is `npm run test:unleash`; these cases need no server at all.)
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { metricValue } from '../../../scripts/cli/admin-client';
import { request } from '../../../scripts/testing/http-client';
import { runCli, tempDir } from '../../../scripts/testing/processes';
import { until } from '../../../scripts/testing/wait';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';
import { closedPort, oneRouteRules, startTestProxy, startUpstream, type TestUpstream } from '../../../scripts/testing/upstreams';

let legacy: TestUpstream;
let extracted: TestUpstream;
let blackhole: net.Server;
const held: net.Socket[] = [];

beforeAll(async () => {
  [legacy, extracted] = await Promise.all([startUpstream('legacy'), startUpstream('extracted')]);
  // Accepts connections and never answers: the worst kind of Unleash outage.
  blackhole = net.createServer((socket) => { held.push(socket); socket.on('error', () => undefined); });
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', () => resolve()));
});

afterAll(async () => {
  for (const socket of held) socket.destroy();
  await new Promise<void>((resolve) => blackhole.close(() => resolve()));
  await Promise.all([legacy.close(), extracted.close()]);
});

const rules = (): string => oneRouteRules(legacy.url, extracted.url, 'match: { path: /api/products }\npercent: 100\nflag: catalog-rollout\n');

async function metric(adminPort: number, name: string): Promise<number> {
  return metricValue((await request({ port: adminPort, path: '/metrics' })).body, name);
}

test.each([
  ['refuses connections', async () => `http://127.0.0.1:${await closedPort()}/api/`],
  ['accepts connections and never answers', async () => `http://127.0.0.1:${(blackhole.address() as AddressInfo).port}/api/`],
])('Unleash that %s: shoppers are served on the YAML percent; failures are a metric, a log line and in /status', async (_what, url) => {
  const proxy = await startTestProxy(rules(), {
    UNLEASH_URL: await url(), UNLEASH_API_TOKEN: 'default:development.secret', UNLEASH_REFRESH_INTERVAL_MS: '200', UNLEASH_TIMEOUT_MS: '300',
    UNLEASH_BACKUP_DIR: path.join(tempDir('unleash-none'), 'data'),
  });
  try {
    for (let i = 0; i < 20; i++) {
      const res = await request({ port: proxy.port, path: '/api/products', headers: { 'x-user-id': `u${i}` } });
      expect(res.status).toBe(200);
      expect(res.headers['x-strangler-backend']).toBe('extracted');
    }
    await until('a counted fetch failure', async () => (await metric(proxy.adminPort, 'strangler_flag_fetch_failures_total')) > 0);
    const status = (await request({ port: proxy.adminPort, path: '/status' })).json<{ unleash: Record<string, unknown>; routes: Array<Record<string, unknown>> }>();
    expect(status.unleash).toMatchObject({ configured: true, stateFrom: 'none', lastFetchAt: null });
    expect((status.unleash.lastFailure as { message: string }).message).toMatch(/features|ECONNREFUSED|timeout|aborted/i);
    expect(status.routes[0]).toMatchObject({ percent: 100, percentSource: 'yaml', flag: 'catalog-rollout', flagState: null });
    expect(await metric(proxy.adminPort, 'strangler_flag_last_fetch_timestamp_seconds')).toBe(0);
    await proxy.process.waitForLine((line) => line.includes('Unleash flag fetch failed'), 3000);
    expectNoCrash(proxy);
  } finally {
    expect(await proxy.stop()).toBe(0);
  }
});

test('an UNLEASH_URL that is not a URL stops the proxy at start with a clear error', async () => {
  const dir = tempDir('unleash-bad');
  const result = await runCli(['proxy'], {
    env: { PROXY_PORT: '0', ADMIN_PORT: '0', STRANGLER_RULES: path.resolve('routing-rules.yaml'), STRANGLER_DIFF_DB: path.join(dir, 'd.sqlite'), UNLEASH_URL: 'unleash:4242' },
  });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/UNLEASH_URL must be an http\(s\) URL such as http:\/\/unleash:4242\/api\/, got "unleash:4242"/);
});
