/**
 * `strangler start` (what `npm start` runs) with the shop moved to other ports by its documented
 * variables: the shipped rules follow them, and a rules file that still names the old address is
 * refused instead of reported ready.
 */
import fs from 'node:fs';
import path from 'node:path';
import { request } from '../testing/http-client';
import { launch, movedShop } from '../testing/launcher-process';
import { tempDir } from '../testing/processes';

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
