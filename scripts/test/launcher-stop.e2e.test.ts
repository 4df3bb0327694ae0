/**
 * Stopping `strangler start` and `npm start` by pid, as supervisors, CI jobs and scripts do: after
 * SIGTERM or SIGINT to the one pid, every port is free again and no process it started remains.
 * The proxy stops first, so a keep-alive shopper never meets a proxy forwarding to a stopped service.
 */
import http from 'node:http';
import { childrenByName, descendants, launch, movedShop, portTaken, shopPorts, stillAlive, type Launch } from '../testing/launcher-process';
import { until } from '../testing/wait';

/** Stops a launch by its pid, then checks the promise: nothing of it left. Cleans up after a failure. */
async function stopByPid(shop: Launch, env: Record<string, string>, signal: NodeJS.Signals): Promise<void> {
  const started = descendants(shop.child.pid!);
  // The launcher, the five processes, and the launcher itself under npm.
  expect(started.length).toBeGreaterThanOrEqual(5);
  try {
    shop.child.kill(signal);
    await until(`${shop.child.pid} to exit after ${signal}`, () => shop.child.exitCode !== null || shop.child.signalCode !== null, 60_000);
    await until('every process it started to exit', () => stillAlive(started).length === 0, 30_000);
    for (const port of shopPorts(env)) expect(await portTaken(port)).toBe(false);
  } finally {
    // Whatever outlived the stop (the bug this file is about) must not outlive the test.
    for (const pid of stillAlive(started)) process.kill(pid, 'SIGKILL');
    if (shop.child.exitCode === null && shop.child.signalCode === null) shop.child.kill('SIGKILL');
  }
}

interface Seen { statuses: number[]; closing: number; errors: string[] }

/**
 * Shoppers on keep-alive connections, asking until the proxy refuses connections (it is gone),
 * `stop` resolves, or 60 s pass.
 */
function keepAliveShoppers(port: number, stop: Promise<unknown>, shoppers = 4): { seen: Seen; finished: Promise<void> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: shoppers });
  const seen: Seen = { statuses: [], closing: 0, errors: [] };
  let done = false;
  void stop.then(() => { done = true; });
  const deadline = Date.now() + 60_000;
  const ask = (i: number): Promise<'refused' | 'ok'> => new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: `/api/products/${1 + (i % 5)}`, agent, headers: { 'x-user-id': `keepalive-${i}` } }, (res) => {
      res.resume();
      res.on('end', () => {
        seen.statuses.push(res.statusCode ?? 0);
        if (/close/i.test(String(res.headers.connection))) seen.closing++;
        resolve('ok');
      });
    });
    req.on('error', (error: Error & { code?: string }) => {
      seen.errors.push(error.code ?? error.message);
      resolve(error.code === 'ECONNREFUSED' ? 'refused' : 'ok');
    });
  });
  const shopper = async (n: number): Promise<void> => {
    for (let i = n; !done && Date.now() < deadline; i += shoppers) if (await ask(i) === 'refused') return;
  };
  const finished = Promise.all(Array.from({ length: shoppers }, (_, n) => shopper(n))).then(() => agent.destroy());
  return { seen, finished };
}

test('SIGTERM to the launcher by pid: the proxy drains before the services stop, so keep-alive shoppers get no 502; then nothing is left', async () => {
  const env = await movedShop();
  const shop = launch(env);
  expect(await shop.ready).toBe(true);
  const shoppers = keepAliveShoppers(Number(env.PROXY_PORT), shop.exited);
  // Shoppers are being served before the signal, and keep asking through the drain.
  await until('shoppers served', () => shoppers.seen.statuses.length >= 20, 30_000);
  // Watched until the launcher exits: a service gone while the proxy still runs breaks the order.
  // (The launcher signals the services only after the proxy's exit, so this cannot be seen with it.)
  const byName = childrenByName(shop.child.pid!);
  const proxyPid = byName.get('proxy')!;
  const servicePids = [...byName].filter(([name]) => name !== 'proxy').map(([, pid]) => pid);
  expect(servicePids).toHaveLength(4);
  let serviceGoneFirst = false;
  const watch = setInterval(() => {
    if (stillAlive([proxyPid]).length === 1 && stillAlive(servicePids).length < servicePids.length) serviceGoneFirst = true;
  }, 10);
  void shop.exited.then(() => clearInterval(watch));
  await stopByPid(shop, env, 'SIGTERM');
  clearInterval(watch);
  expect(serviceGoneFirst).toBe(false);
  expect(await shop.exited).toBe(0);
  await shoppers.finished;
  expect(shoppers.seen.statuses.filter((s) => s === 502 || s === 504)).toEqual([]);
  const lines = shop.lines.join('\n');
  expect(lines).toContain('[launcher] SIGTERM: stopping (the proxy first, then the services)');
  expect(lines.indexOf('[launcher] proxy stopped; stopping the services')).toBeLessThan(lines.indexOf('[launcher] all processes stopped'));
}, 180_000);

test('SIGINT to the launcher by pid, with 2 workers: the banner says so; every port is free and no process is left', async () => {
  const env = { ...await movedShop(), STRANGLER_WORKERS: '2' };
  const shop = launch(env);
  expect(await shop.ready).toBe(true);
  expect(shop.lines).toContain('  proxy workers             2 workers on the one shopper port (STRANGLER_WORKERS)');
  await stopByPid(shop, env, 'SIGINT');
  expect(await shop.exited).toBe(0);
}, 180_000);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`npm start stopped by ${signal} to npm's pid: every port is free and no process is left`, async () => {
    const env = await movedShop();
    const shop = launch(env, { npm: true });
    expect(await shop.ready).toBe(true);
    expect(shop.lines).toContain('  proxy workers             1 process (STRANGLER_WORKERS=N or auto for more)');
    await stopByPid(shop, env, signal);
    expect(await shop.exited).toBe(0);
  }, 180_000);
}

test('the launcher killed with SIGKILL: the processes it started stop by themselves', async () => {
  const env = await movedShop();
  const shop = launch(env);
  expect(await shop.ready).toBe(true);
  const started = descendants(shop.child.pid!);
  try {
    shop.child.kill('SIGKILL');
    await shop.exited;
    await until('every process it started to exit', () => stillAlive(started).length === 0, 60_000);
    for (const port of shopPorts(env)) expect(await portTaken(port)).toBe(false);
  } finally {
    for (const pid of stillAlive(started)) process.kill(pid, 'SIGKILL');
  }
}, 180_000);
