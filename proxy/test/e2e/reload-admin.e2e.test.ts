import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { request } from '../../../scripts/testing/http-client';
import { DIST, tempDir } from '../../../scripts/testing/processes';
import { oneRouteRules, startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';

let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;
const rules = (percent: number): string => oneRouteRules(legacy.url, svc.url, `match: { path: /api/x }\npercent: ${percent}`);

interface Status { epoch: number; hash: string; servingLastGood: boolean; lastReload: { at: string; result: string; trigger: string; error: string | null }; routes: Array<{ percent: number }> }
const status = async (): Promise<Status> => (await request({ port: proxy.adminPort, path: '/status' })).json<Status>();
const backend = async (): Promise<string> => String((await request({ port: proxy.port, path: '/api/x', headers: { 'x-user-id': 'u1' } })).headers['x-strangler-backend']);

/** Polls until the condition holds; reports how long it took (the reload latency a user sees). */
async function eventually(condition: () => Promise<boolean>, withinMs = 2000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < withinMs) {
    if (await condition()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`condition not met within ${withinMs} ms`);
}

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  proxy = await startTestProxy(rules(0));
}, 20000);
afterAll(async () => {
  const code = await proxy.stop();
  await Promise.all([legacy.close(), svc.close()]);
  expect(code).toBe(0);
});

describe('hot reload', () => {
  test('an edit in place takes effect at once (seconds at most) and bumps the epoch', async () => {
    expect(await backend()).toBe('legacy');
    const before = await status();
    fs.writeFileSync(proxy.rulesFile, rules(100));
    // About 100 ms in practice; the bound is loose so a loaded machine does not fail it.
    const ms = await eventually(async () => (await backend()) === 'extracted', 5000);
    expect(ms).toBeLessThan(5000);
    const after = await status();
    expect(after.epoch).toBe(before.epoch + 1);
    expect(after.hash).not.toBe(before.hash);
    expect(after.lastReload).toMatchObject({ result: 'success', trigger: 'watch' });
  });

  test('an editor that replaces the file by rename is seen too', async () => {
    const temp = `${proxy.rulesFile}.tmp`;
    fs.writeFileSync(temp, rules(0));
    fs.renameSync(temp, proxy.rulesFile);
    await eventually(async () => (await backend()) === 'legacy');
  });

  test('an invalid, empty or deleted file never takes effect: last good rules keep serving, and it shows', async () => {
    const good = await status();
    for (const breakIt of [
      () => fs.writeFileSync(proxy.rulesFile, rules(0).replace('percent: 0', 'percent: 150')),
      () => fs.writeFileSync(proxy.rulesFile, ''),
      () => fs.unlinkSync(proxy.rulesFile),
    ]) {
      breakIt();
      await eventually(async () => (await status()).lastReload.result === 'failure');
      const now = await status();
      expect(now.epoch).toBe(good.epoch);
      expect(now.servingLastGood).toBe(true);
      expect(now.lastReload.error).toMatch(/routing-rules\.yaml:\d+:\d+: error: /);
      expect(await backend()).toBe('legacy');
      const metrics = (await request({ port: proxy.adminPort, path: '/metrics' })).body;
      expect(metrics).toMatch(/strangler_config_reloads_total\{result="failure"\} [1-9]/);
      expect(metrics).toMatch(/strangler_rules_last_reload_success 0/);
      fs.writeFileSync(proxy.rulesFile, rules(0));
      await eventually(async () => (await status()).lastReload.result === 'success');
    }
    expect(proxy.process.lines.some((l) => l.includes('rules reload failed; still serving the last good rules'))).toBe(true);
  });

  test('SIGHUP reloads; unchanged content keeps the epoch, changed content bumps it', async () => {
    const before = (await status()).epoch;
    proxy.process.child.kill('SIGHUP');
    await eventually(async () => (await status()).lastReload.trigger === 'sighup');
    expect((await status()).epoch).toBe(before);
    fs.writeFileSync(proxy.rulesFile, rules(0) + '# touched\n');
    await eventually(async () => (await status()).epoch === before + 1);
  });

  test('POST /reload needs x-strangler-admin: 1, and reports an invalid file with 422', async () => {
    const refused = await request({ port: proxy.adminPort, path: '/reload', method: 'POST' });
    expect(refused.status).toBe(403);
    const ok = await request({ port: proxy.adminPort, path: '/reload', method: 'POST', headers: { 'x-strangler-admin': '1' } });
    expect(ok.status).toBe(200);
    expect(ok.json()).toMatchObject({ result: 'success' });
    fs.writeFileSync(proxy.rulesFile, rules(0).replace('extracted: svc', 'extracted: nowhere'));
    const bad = await request({ port: proxy.adminPort, path: '/reload', method: 'POST', headers: { 'x-strangler-admin': '1' } });
    expect(bad.status).toBe(422);
    expect(bad.json<{ errors: string[] }>().errors.join('\n')).toMatch(/routing-rules\.yaml:7:16: error: .*unknown upstream "nowhere"/);
    fs.writeFileSync(proxy.rulesFile, rules(0));
    await eventually(async () => (await status()).lastReload.result === 'success');
  });

  test('a request in flight finishes on the rules it started with', async () => {
    legacy.handle((_req, res) => setTimeout(() => { res.writeHead(200); res.end('old rules'); }, 400));
    const inFlight = request({ port: proxy.port, path: '/api/x', headers: { 'x-user-id': 'u1', 'x-request-id': 'in-flight-1' } });
    await new Promise((r) => setTimeout(r, 100));
    fs.writeFileSync(proxy.rulesFile, rules(100));
    await eventually(async () => (await status()).routes[0].percent === 100);
    const res = await inFlight;
    legacy.handle(null);
    expect(res.headers['x-strangler-backend']).toBe('legacy');
    expect(res.body).toBe('old rules');
    fs.writeFileSync(proxy.rulesFile, rules(0));
    await eventually(async () => (await status()).routes[0].percent === 0);
  });
});

describe('the admin port', () => {
  test('answers only requests addressed to itself', async () => {
    const evil = await request({ port: proxy.adminPort, path: '/status', host: 'evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.json<{ error: { code: string } }>().error.code).toBe('STRANGLER_ERR_ADMIN_HOST');
    const rebind = await request({ port: proxy.adminPort, path: '/reload', method: 'POST', host: `evil.example:${proxy.adminPort}`, headers: { 'x-strangler-admin': '1' } });
    expect(rebind.status).toBe(403);
    expect((await request({ port: proxy.adminPort, path: '/status', host: `localhost:${proxy.adminPort}` })).status).toBe(200);
  });
  test('a cross-site form POST to /reload is refused', async () => {
    const form = await request({ port: proxy.adminPort, path: '/reload', method: 'POST', body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' } });
    expect(form.status).toBe(403);
  });
  test('healthz, readyz, and 404 for anything else', async () => {
    expect((await request({ port: proxy.adminPort, path: '/healthz' })).status).toBe(200);
    expect((await request({ port: proxy.adminPort, path: '/readyz' })).status).toBe(200);
    expect((await request({ port: proxy.adminPort, path: '/nope' })).status).toBe(404);
  });
  test('the root lists every endpoint, and each one it lists answers', async () => {
    const root = await request({ port: proxy.adminPort, path: '/' });
    expect(root.status).toBe(200);
    const endpoints = root.json<{ endpoints: Array<{ method: string; path: string }> }>().endpoints;
    expect(endpoints.map((e) => `${e.method} ${e.path}`)).toEqual(['GET /status', 'GET /stats', 'GET /dashboard', 'GET /metrics', 'GET /healthz', 'GET /readyz', 'POST /reload']);
    for (const e of endpoints.filter((x) => x.method === 'GET')) expect((await request({ port: proxy.adminPort, path: e.path })).status).toBe(200);
  });
});

describe('start-up', () => {
  const startWith = (file: string): Promise<{ code: number | null; stderr: string }> => new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(DIST, 'proxy', 'main.js')], { env: { ...process.env, STRANGLER_RULES: file, PROXY_PORT: '0', ADMIN_PORT: '0' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, stderr }); });
  });
  test('a proxy given an invalid rules file refuses to start, printing every error', async () => {
    const file = path.join(tempDir('bad'), 'rules.yaml');
    fs.writeFileSync(file, rules(0).replace('percent: 0', 'percent: 101').replace('extracted: svc', 'extracted: svx'));
    const { code, stderr } = await startWith(file);
    expect(code).toBe(1);
    expect(stderr).toMatch(/rules\.yaml:\d+:\d+: error: .*unknown upstream "svx"/);
    expect(stderr).toMatch(/rules\.yaml:\d+:\d+: error: .*between 0 and 100/);
  });
  test('a missing rules file is an error, not "no routes"', async () => {
    const { code, stderr } = await startWith(path.join(tempDir('none'), 'missing.yaml'));
    expect(code).toBe(1);
    expect(stderr).toContain('does not exist');
  });
});
