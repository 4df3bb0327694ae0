import fs from 'node:fs';
import path from 'node:path';
import { request } from '../../../scripts/testing/http-client';
import { tempDir } from '../../../scripts/testing/processes';
import { oneRouteRules, startTestProxyOn, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';

/**
 * A Kubernetes ConfigMap mounted as a directory, laid out and updated the way kubelet's
 * AtomicWriter does it (pkg/volume/util/atomic_writer.go):
 *
 *   ..2026_12_02_10_00_00.123/routing-rules.yaml   the real file, in a timestamped directory
 *   ..data -> ..2026_12_02_10_00_00.123            the current version
 *   routing-rules.yaml -> ..data/routing-rules.yaml
 *
 * An update writes a new timestamped directory, points a new `..data_tmp` symlink at it, renames
 * `..data_tmp` over `..data` (the one atomic step) and removes the old directory. The directory
 * events name `..data`, never `routing-rules.yaml`, whose own symlink does not change.
 */
class ConfigMapVolume {
  private version = 0;
  private current: string;
  readonly file: string;

  constructor(readonly dir: string, text: string) {
    this.current = this.writeVersion(text);
    fs.symlinkSync(this.current, path.join(dir, '..data'));
    fs.symlinkSync(path.join('..data', 'routing-rules.yaml'), path.join(dir, 'routing-rules.yaml'));
    this.file = path.join(dir, 'routing-rules.yaml');
  }

  update(text: string): void {
    const next = this.writeVersion(text);
    const tmp = path.join(this.dir, '..data_tmp');
    fs.symlinkSync(next, tmp);
    fs.renameSync(tmp, path.join(this.dir, '..data'));
    fs.rmSync(path.join(this.dir, this.current), { recursive: true });
    this.current = next;
  }

  private writeVersion(text: string): string {
    this.version++;
    const name = `..2026_12_02_10_0${this.version}_00.${100 + this.version * 23}`;
    fs.mkdirSync(path.join(this.dir, name));
    fs.writeFileSync(path.join(this.dir, name, 'routing-rules.yaml'), text);
    return name;
  }
}

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
  volume = new ConfigMapVolume(tempDir('configmap'), rules(0));
  proxy = await startTestProxyOn(volume.file);
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
    volume.update(rules(100));
    await eventually(async () => (await status()).epoch === before.epoch + 1, 'the epoch after the ..data swap');
    const after = await status();
    expect(after.lastReload).toMatchObject({ result: 'success', trigger: 'watch' });
    expect(after.routes[0].percent).toBe(100);
    expect(await backend()).toBe('extracted');
  });

  test('every later swap is seen too, an invalid version included (last good rules keep serving)', async () => {
    const before = (await status()).epoch;
    volume.update(rules(0));
    await eventually(async () => (await status()).epoch === before + 1, 'the second swap');
    expect(await backend()).toBe('legacy');

    volume.update(rules(0).replace('percent: 0', 'percent: 150'));
    await eventually(async () => (await status()).lastReload.result === 'failure', 'the invalid version reported');
    expect((await status()).epoch).toBe(before + 1);
    expect(await backend()).toBe('legacy');

    volume.update(rules(100));
    await eventually(async () => (await status()).lastReload.result === 'success' && (await status()).epoch === before + 2, 'the fixed version');
    expect(await backend()).toBe('extracted');
  });
});
