import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { isSeeded, openShopDb } from '../../legacy-monolith/src/db/open';
import { seedShop } from '../../legacy-monolith/src/db/seed';
import { EXIT_CANNOT_LISTEN } from '../../legacy-monolith/src/serve';
import { proxyStopBoundMs } from '../../proxy/shutdown';
import { parse, type CommandCall } from './command-line';
import { LAUNCHER_PID_VARIABLE } from './stop-with-launcher';

interface ChildSpec { name: string; args: string[]; health: string }

const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;
/** A shop service that has not exited this long after SIGTERM is killed. */
const SERVICE_STOP_MS = 10_000;
/** The signals that stop everything: SIGHUP too, as the terminal that started us closed. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function port(name: string, fallback: number): number {
  return Number(process.env[name] ?? fallback);
}

function specs(): ChildSpec[] {
  const adminPort = port('ADMIN_PORT', 9901);
  return [
    { name: 'legacy', args: ['legacy'], health: `http://127.0.0.1:${port('LEGACY_PORT', 3001)}/healthz` },
    { name: 'catalog', args: ['service', 'catalog'], health: `http://127.0.0.1:${port('CATALOG_PORT', 3101)}/healthz` },
    { name: 'pricing', args: ['service', 'pricing'], health: `http://127.0.0.1:${port('PRICING_PORT', 3102)}/healthz` },
    { name: 'checkout', args: ['service', 'checkout'], health: `http://127.0.0.1:${port('CHECKOUT_PORT', 3103)}/healthz` },
    { name: 'proxy', args: ['proxy'], health: `http://127.0.0.1:${adminPort}/readyz` },
  ];
}

function healthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 1000 }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
  });
}

async function waitHealthy(url: string, deadlineMs: number, alive: () => boolean): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until && alive()) {
    if (await healthy(url)) return true;
    await new Promise((r) => setTimeout(r, 150));
  }
  return false;
}

/** The upstream each service the launcher starts listens on, by the rules' upstream name. */
function startedUpstreams(): Record<string, string> {
  return {
    legacy: `http://127.0.0.1:${port('LEGACY_PORT', 3001)}`,
    catalog: `http://127.0.0.1:${port('CATALOG_PORT', 3101)}`,
    pricing: `http://127.0.0.1:${port('PRICING_PORT', 3102)}`,
    checkout: `http://127.0.0.1:${port('CHECKOUT_PORT', 3103)}`,
  };
}

interface ProxyStatus { upstreams?: { name: string; url: string }[]; workers?: unknown[] }

/** The proxy's /status, or null when it cannot be read. */
function readStatus(adminPort: number): Promise<ProxyStatus | null> {
  return new Promise((resolve) => {
    http.get(`http://127.0.0.1:${adminPort}/status`, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => { body += chunk; });
      res.on('end', () => { try { resolve(JSON.parse(body) as ProxyStatus); } catch { resolve(null); } });
    }).on('error', () => resolve(null));
  });
}

/** Each upstream of the proxy's active rules that names a service we started at another address. */
function upstreamsNotStarted(status: ProxyStatus | null): string[] {
  if (!Array.isArray(status?.upstreams)) return ['cannot read the proxy\'s /status to check its upstreams'];
  const active = new Map(status.upstreams.map((u) => [u.name, u.url]));
  return Object.entries(startedUpstreams())
    .filter(([name, url]) => active.has(name) && active.get(name) !== url)
    .map(([name, url]) => `upstream "${name}" in the rules is ${active.get(name)}, but ${name} was started at ${url}`);
}

/** The banner's line on how many processes serve shoppers: /status lists workers only in a cluster. */
function workersLine(status: ProxyStatus | null): string {
  const workers = Array.isArray(status?.workers) ? status.workers.length : 1;
  return workers > 1 ? `${workers} workers on the one shopper port (STRANGLER_WORKERS)` : '1 process (STRANGLER_WORKERS=N or auto for more)';
}

/** Sends SIGTERM and resolves once the process has exited; SIGKILL after `killAfterMs`. */
function stopChild(child: ChildProcess, killAfterMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('exit', () => { clearTimeout(kill); resolve(); });
    child.kill('SIGTERM');
  });
}

/**
 * `npm start` / `strangler start`: seeds on first run, starts every process with its log lines
 * prefixed by its name, prints the URLs, restarts a child that dies (at most 3 times a minute),
 * and stops everything on Ctrl-C / SIGTERM / SIGINT / SIGHUP: the proxy first, once it has
 * exited the services (while the proxy drains, it still forwards to them). Exits non-zero when
 * it cannot recover.
 *
 * The children run in a process group of their own (`detached`), so a Ctrl-C in the terminal
 * reaches the launcher alone and not every service at once; each child has an IPC channel to
 * the launcher and stops when it closes (stop-with-launcher.ts), should the launcher die unasked.
 */
export async function runLauncher(cliPath: string): Promise<void> {
  const db = openShopDb();
  if (!isSeeded(db)) {
    const summary = seedShop(db);
    console.log(`[launcher] seeded the shop database: ${summary.products} products, ${summary.variants} variants, ${summary.promotions} promotions`);
  }
  db.close();

  const children = new Map<string, ChildProcess>();
  const restarts = new Map<string, number[]>();
  let stopping: Promise<never> | null = null;
  const width = Math.max(...specs().map((s) => s.name.length));
  // The proxy's own bound (drain, then its mirrors' timeout) and a margin for its exit.
  const proxyStopMs = proxyStopBoundMs(Number(process.env.STRANGLER_SHADOW_TIMEOUT_MS ?? 2000)) + 5000;

  const stopAll = (code: number): Promise<never> => {
    stopping ??= (async () => {
      const proxy = children.get('proxy');
      if (proxy !== undefined) {
        await stopChild(proxy, proxyStopMs);
        console.log('[launcher] proxy stopped; stopping the services');
      }
      await Promise.all([...children.entries()].filter(([name]) => name !== 'proxy').map(([, child]) => stopChild(child, SERVICE_STOP_MS)));
      console.log('[launcher] all processes stopped');
      process.exit(code);
    })();
    return stopping;
  };

  const start = (spec: ChildSpec): ChildProcess => {
    const env: NodeJS.ProcessEnv = { ...process.env, [LAUNCHER_PID_VARIABLE]: String(process.pid) };
    // Traced (OTEL_EXPORTER_OTLP_ENDPOINT), each process names itself (strangler-proxy, shop-legacy, …): one OTEL_SERVICE_NAME would merge them.
    delete env.OTEL_SERVICE_NAME;
    const child = spawn(process.execPath, ['--require', path.join(__dirname, 'stop-with-launcher.js'), cliPath, ...spec.args], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true, env,
    });
    const prefix = `[${spec.name.padEnd(width)}]`;
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream! }).on('line', (line) => console.log(`${prefix} ${line}`));
    }
    child.once('exit', (code, signal) => {
      if (stopping !== null) return;
      console.error(`[launcher] ${spec.name} exited (${signal ?? `code ${code}`})`);
      if (code === EXIT_CANNOT_LISTEN) {
        console.error(`[launcher] ${spec.name} cannot listen on its port (its line above says which variable to change); not restarting it`);
        void stopAll(1);
        return;
      }
      const now = Date.now();
      const recent = (restarts.get(spec.name) ?? []).filter((t) => now - t < RESTART_WINDOW_MS);
      if (recent.length >= MAX_RESTARTS) {
        console.error(`[launcher] ${spec.name} died ${MAX_RESTARTS + 1} times within a minute; stopping everything`);
        void stopAll(1);
        return;
      }
      recent.push(now);
      restarts.set(spec.name, recent);
      console.error(`[launcher] restarting ${spec.name}`);
      children.set(spec.name, start(spec));
    });
    return child;
  };

  // `on`, not `once`: under `npm start` a Ctrl-C comes twice (from the terminal, and forwarded by
  // npm), and a second signal must not kill the launcher while it stops the others in order.
  for (const signal of STOP_SIGNALS) {
    process.on(signal, () => {
      if (stopping !== null) return;
      console.log(`[launcher] ${signal}: stopping (the proxy first, then the services)`);
      void stopAll(0);
    });
  }

  for (const spec of specs()) {
    // A signal during the start: nothing more is started (stopAll stops what is running).
    if (stopping !== null) return;
    const child = start(spec);
    children.set(spec.name, child);
    const ok = await waitHealthy(spec.health, 20_000, () => stopping === null);
    if (!ok && stopping === null) {
      console.error(`[launcher] ${spec.name} did not become healthy at ${spec.health}`);
      await stopAll(1);
    }
  }
  const status = await readStatus(port('ADMIN_PORT', 9901));
  if (stopping !== null) return;
  const mismatched = upstreamsNotStarted(status);
  if (mismatched.length > 0) {
    for (const line of mismatched) console.error(`[launcher] ${line}`);
    console.error('[launcher] the rules send shoppers somewhere this launcher did not start; fix the rules file (or use ${NAME_PORT:-default} in its upstream URLs), then start again');
    await stopAll(1);
  }
  const proxyPort = port('PROXY_PORT', 8080);
  console.log([
    '',
    'Strangler is running:',
    `  shop (through the proxy)  http://127.0.0.1:${proxyPort}/`,
    `  live dashboard            http://127.0.0.1:${port('ADMIN_PORT', 9901)}/dashboard`,
    `  proxy admin               http://127.0.0.1:${port('ADMIN_PORT', 9901)}/status  (/stats, /metrics, /healthz, /readyz)`,
    `  proxy workers             ${workersLine(status)}`,
    `  legacy monolith           http://127.0.0.1:${port('LEGACY_PORT', 3001)}/`,
    `  extracted services        catalog :${port('CATALOG_PORT', 3101)}  pricing :${port('PRICING_PORT', 3102)}  checkout :${port('CHECKOUT_PORT', 3103)}`,
    'Press Ctrl-C to stop (or send SIGTERM to this process).',
    '',
  ].join('\n'));
}

/** `strangler start` (and `npm start`): the launcher, which runs this same CLI once per process. */
export async function startCommand(call: CommandCall): Promise<void> {
  parse(call, {});
  await runLauncher(call.cliPath);
}
