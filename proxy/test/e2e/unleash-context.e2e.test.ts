/**
 * Flagged routes are decided by unleash-client's own evaluation with each request's context, so
 * constraints and segments apply as Unleash defines them. The flag state comes from the SDK's
 * backup file and Unleash itself is unreachable: no server needed (the real-server version of
 * these cases is in the Unleash integration suite).
 */
import fs from 'node:fs';
import path from 'node:path';
import { request } from '../../../scripts/testing/http-client';
import { tempDir } from '../../../scripts/testing/processes';
import { until } from '../../../scripts/testing/wait';
import { closedPort, startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';

let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;

const EU = [{ contextName: 'region', operator: 'IN', values: ['eu'], inverted: false, caseInsensitive: false }];
const rollout = (percent: number, groupId: string, extra: Record<string, unknown> = {}) => ({ name: 'flexibleRollout', parameters: { rollout: String(percent), stickiness: 'default', groupId }, constraints: [], ...extra });

/** What unleash-client keeps in its backup: the client API's answer. */
const backup = {
  version: 2,
  features: [
    { name: 'quote-eu', enabled: true, type: 'release', project: 'default', strategies: [rollout(100, 'pricing', { constraints: EU })] },
    { name: 'list-beta', enabled: true, type: 'release', project: 'default', strategies: [rollout(100, 'catalog', { segments: [7] })] },
    { name: 'tenant-only', enabled: true, type: 'release', project: 'default', strategies: [rollout(100, 'tenant', { constraints: [{ contextName: 'tenant', operator: 'IN', values: ['acme'] }] })] },
    { name: 'half', enabled: true, type: 'release', project: 'default', strategies: [rollout(50, 'half')] },
  ],
  segments: [{ id: 7, name: 'beta-testers', constraints: [{ contextName: 'beta', operator: 'IN', values: ['yes'] }] }],
};

beforeAll(async () => {
  [legacy, svc] = await Promise.all([startUpstream('legacy'), startUpstream('svc')]);
  const backupDir = tempDir('unleash-backup');
  fs.writeFileSync(path.join(backupDir, 'unleash-backup-strangler-context.json'), JSON.stringify(backup));
  proxy = await startTestProxy(`version: 1
upstreams: { legacy: ${legacy.url}, svc: ${svc.url} }
defaults:
  sticky_by: [header:x-user-id]
  context:
    region: [header:x-region, cookie:region]
routes:
  - { name: quote, match: { path: /api/quote }, extracted: svc, group: pricing, flag: quote-eu }
  - { name: list, match: { path: /api/list }, extracted: svc, group: catalog, flag: list-beta, context: { beta: [cookie:beta] } }
  - { name: tenant, match: { path: /api/tenant }, extracted: svc, group: tenant, flag: tenant-only }
  - { name: half, match: { path: /api/half }, extracted: svc, group: half, flag: half }
`, {
    UNLEASH_URL: `http://127.0.0.1:${await closedPort()}/api/`, UNLEASH_APP_NAME: 'strangler-context', UNLEASH_BACKUP_DIR: backupDir, UNLEASH_REFRESH_INTERVAL_MS: '60000',
  });
  await until('the flags from the backup', async () => {
    const status = (await request({ port: proxy.adminPort, path: '/status' })).json<{ routes: Array<{ percentSource: string }> }>();
    return status.routes.every((r) => r.percentSource === 'flag');
  }, 10_000);
}, 30_000);
afterAll(async () => {
  const code = await proxy.stop();
  await Promise.all([legacy.close(), svc.close()]);
  expect(code).toBe(0);
});

const side = async (urlPath: string, headers: Record<string, string>): Promise<string> =>
  (await request({ port: proxy.port, path: urlPath, headers: { 'x-user-id': 'shopper-1', ...headers } })).headers['x-strangler-backend'] as string;

test('a flag constrained to region IN [eu] sends EU shoppers to extracted, by header and then by cookie, and US shoppers to legacy', async () => {
  expect(await side('/api/quote', { 'x-region': 'eu' })).toBe('extracted');
  expect(await side('/api/quote', { cookie: 'region=eu' })).toBe('extracted');
  // The header is the first source: it wins over the cookie.
  expect(await side('/api/quote', { 'x-region': 'us', cookie: 'region=eu' })).toBe('legacy');
  expect(await side('/api/quote', { 'x-region': 'us' })).toBe('legacy');
  expect(await side('/api/quote', {})).toBe('legacy');
});

test('a segment defined in Unleash applies the same way, with a route-level context field', async () => {
  expect(await side('/api/list', { cookie: 'beta=yes' })).toBe('extracted');
  expect(await side('/api/list', { cookie: 'beta=no' })).toBe('legacy');
  expect(await side('/api/list', {})).toBe('legacy');
});

test('a context field the rules do not map is absent: a constraint on it never matches', async () => {
  expect(await side('/api/tenant', { 'x-tenant': 'acme', cookie: 'tenant=acme' })).toBe('legacy');
});

test('without constraints the flag picks by userId with the strategy groupId, exactly the shoppers of the YAML percent in that group', async () => {
  const { bucketOf, inRollout } = await import('../../decide/bucket');
  for (let i = 0; i < 60; i++) {
    const id = `shopper-${i}`;
    expect(await side('/api/half', { 'x-user-id': id })).toBe(inRollout(bucketOf('half', id), 50) ? 'extracted' : 'legacy');
  }
});
