/**
 * `strangler start` (what `npm start` runs) with the shop moved to other ports by its documented
 * variables: the shipped rules follow them, and a rules file that still names the old address is
 * refused instead of reported ready.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { request } from '../testing/http-client';
import { DIST, REPO_ROOT, tempDir } from '../testing/processes';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Launch { lines: string[]; ready: Promise<boolean>; exited: Promise<number | null>; stop(): Promise<number | null> }

function launch(env: Record<string, string>): Launch {
  const child = spawn(process.execPath, [path.join(DIST, 'scripts', 'cli.js'), 'start'], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<boolean>((resolve) => {
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => { lines.push(line); if (line.startsWith('Strangler is running')) resolve(true); });
    }
    void exited.then(() => resolve(false));
    setTimeout(() => resolve(false), 90_000).unref();
  });
  return { lines, ready, exited, stop: () => { child.kill('SIGTERM'); return exited; } };
}

async function movedShop(): Promise<Record<string, string>> {
  const [legacy, catalog, pricing, checkout, proxy, admin] = await Promise.all(Array.from({ length: 6 }, freePort));
  const dir = tempDir('launch');
  return {
    LEGACY_PORT: String(legacy), CATALOG_PORT: String(catalog), PRICING_PORT: String(pricing), CHECKOUT_PORT: String(checkout),
    PROXY_PORT: String(proxy), PROXY_HOST: '127.0.0.1', ADMIN_PORT: String(admin),
    SHOP_DB: path.join(dir, 'shop.sqlite'), STRANGLER_DIFF_DB: path.join(dir, 'diffs.sqlite'), STRANGLER_RULES: path.join(REPO_ROOT, 'routing-rules.yaml'),
  };
}

test('moved with LEGACY_PORT, CATALOG_PORT, PRICING_PORT and CHECKOUT_PORT, the shop is served through the proxy', async () => {
  const env = await movedShop();
  const shop = launch(env);
  try {
    expect(await shop.ready).toBe(true);
    const status = (await request({ port: Number(env.ADMIN_PORT), path: '/status' })).json<{ upstreams: { name: string; url: string }[] }>();
    expect(status.upstreams).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: 'legacy', url: `http://127.0.0.1:${env.LEGACY_PORT}` }),
      expect.objectContaining({ name: 'catalog', url: `http://127.0.0.1:${env.CATALOG_PORT}` }),
    ]));
    expect((await request({ port: Number(env.PROXY_PORT), path: '/' })).status).toBe(200);
    for (let i = 0; i < 10; i++) {
      const product = await request({ port: Number(env.PROXY_PORT), path: '/api/products/1', headers: { 'x-user-id': `mover-${i}` } });
      expect(product.status).toBe(200);
    }
  } finally {
    expect(await shop.stop()).toBe(0);
  }
}, 120_000);

test('a rules file that names an address the launcher did not start is refused, not reported ready', async () => {
  const env = await movedShop();
  const rules = path.join(tempDir('launch-rules'), 'routing-rules.yaml');
  fs.writeFileSync(rules, fs.readFileSync(env.STRANGLER_RULES, 'utf8').replace('http://127.0.0.1:${LEGACY_PORT:-3001}', 'http://127.0.0.1:3001'));
  const shop = launch({ ...env, STRANGLER_RULES: rules });
  expect(await shop.ready).toBe(false);
  expect(await shop.exited).toBe(1);
  expect(shop.lines.join('\n')).toContain(`upstream "legacy" in the rules is http://127.0.0.1:3001, but legacy was started at http://127.0.0.1:${env.LEGACY_PORT}`);
}, 120_000);
