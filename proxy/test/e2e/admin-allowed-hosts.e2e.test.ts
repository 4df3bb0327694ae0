import { spawn } from 'node:child_process';
import path from 'node:path';
import { request } from '../../../scripts/testing/http-client';
import { DIST } from '../../../scripts/testing/processes';
import { oneRouteRules, startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';

// In a pod, kubelet's probes and Prometheus's scrapes send `Host: <pod IP>:<admin port>`; the pod
// IP is given to the proxy with ADMIN_ALLOWED_HOSTS (the test connects to 127.0.0.1 and only
// writes that Host).
const POD_IP = '10.244.1.7';
let legacy: TestUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  proxy = await startTestProxy(oneRouteRules(legacy.url, legacy.url, 'match: { path: /api/x }\npercent: 0'), { ADMIN_ALLOWED_HOSTS: POD_IP });
}, 20000);
afterAll(async () => {
  await proxy.stop();
  await legacy.close();
});

test('a probe or scrape addressed to the pod IP is answered; any other Host still gets 403', async () => {
  for (const p of ['/healthz', '/readyz', '/metrics']) {
    expect((await request({ port: proxy.adminPort, path: p, host: `${POD_IP}:${proxy.adminPort}` })).status).toBe(200);
  }
  expect((await request({ port: proxy.adminPort, path: '/status', host: `localhost:${proxy.adminPort}` })).status).toBe(200);
  for (const host of [`10.244.1.8:${proxy.adminPort}`, POD_IP, `${POD_IP}:1`, `evil.example:${proxy.adminPort}`]) {
    const refused = await request({ port: proxy.adminPort, path: '/healthz', host });
    expect(refused.status).toBe(403);
    expect(refused.json<{ error: { code: string } }>().error.code).toBe('STRANGLER_ERR_ADMIN_HOST');
  }
});

test('a malformed ADMIN_ALLOWED_HOSTS stops the proxy with exit 2 and says why', async () => {
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [path.join(DIST, 'proxy', 'main.js')], {
      env: { ...process.env, ADMIN_ALLOWED_HOSTS: 'http://10.244.1.7', PROXY_PORT: '0', ADMIN_PORT: '0', PROXY_HOST: '127.0.0.1', STRANGLER_RULES: proxy.rulesFile }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, stderr }); });
  });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('ADMIN_ALLOWED_HOSTS must be a comma-separated list of host names or addresses');
});
