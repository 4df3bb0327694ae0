import { ConfigMapVolume } from '../../../scripts/testing/configmap-volume';
import { request } from '../../../scripts/testing/http-client';
import { tempDir } from '../../../scripts/testing/processes';
import { oneRouteRules, startTestProxyOn, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';

let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;
let volume: ConfigMapVolume;
const rules = (percent: number): string => oneRouteRules(legacy.url, svc.url, `match: { path: /api/x }\npercent: ${percent}`);

interface Status { epoch: number; lastReload: { result: string; trigger: string }; routes: Array<{ name: string; percent: number }> }
const status = async (): Promise<Status> => (await request({ port: proxy.adminPort, path: '/status' })).json<Status>();
const backend = async (): Promise<string> => String((await request({ port: proxy.port, path: '/api/x', headers: { 'x-user-id': 'u1' } })).headers['x-strangler-backend']);

async function eventually(condition: () => Promise<boolean>, what: string, withinMs = 3000): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < withinMs) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what}: not within ${withinMs} ms`);
}

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  volume = new ConfigMapVolume(tempDir('configmap'), { 'routing-rules.yaml': rules(0) });
  proxy = await startTestProxyOn(volume.path('routing-rules.yaml'));
}, 20000);
afterAll(async () => {
  const code = await proxy.stop();
  await Promise.all([legacy.close(), svc.close()]);
  expect(code).toBe(0);
});

describe('a rules file in a Kubernetes ConfigMap volume', () => {
  test('kubelet\'s ..data swap is a reload: the new rules take effect and the epoch moves on', async () => {
    expect(await backend()).toBe('legacy');
    const before = await status();
    volume.update({ 'routing-rules.yaml': rules(100) });
    await eventually(async () => (await status()).epoch === before.epoch + 1, 'the epoch after the ..data swap');
    const after = await status();
    expect(after.lastReload).toMatchObject({ result: 'success', trigger: 'watch' });
    expect(after.routes[0].percent).toBe(100);
    expect(await backend()).toBe('extracted');
  });

  test('every later swap is seen too, an invalid version included (last good rules keep serving)', async () => {
    const before = (await status()).epoch;
    volume.update({ 'routing-rules.yaml': rules(0) });
    await eventually(async () => (await status()).epoch === before + 1, 'the second swap');
    expect(await backend()).toBe('legacy');

    volume.update({ 'routing-rules.yaml': rules(0).replace('percent: 0', 'percent: 150') });
    await eventually(async () => (await status()).lastReload.result === 'failure', 'the invalid version reported');
    expect((await status()).epoch).toBe(before + 1);
    expect(await backend()).toBe('legacy');

    volume.update({ 'routing-rules.yaml': rules(100) });
    await eventually(async () => (await status()).lastReload.result === 'success' && (await status()).epoch === before + 2, 'the fixed version');
    expect(await backend()).toBe('extracted');
  });
});
