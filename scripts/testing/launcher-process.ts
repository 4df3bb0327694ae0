/**
 * `strangler start` (or `npm start`) as a test runs it: on free ports and temp databases, its
 * output collected, and the processes it started found in /proc, so a test can check that none
 * outlives a stop. Linux only (/proc), as the project's CI is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { DIST, REPO_ROOT, tempDir } from './processes';

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when something listens on 127.0.0.1:port (a listen there fails). */
export function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

/** The variables that move the whole shop to free ports and temp databases. */
export async function movedShop(): Promise<Record<string, string>> {
  const [legacy, catalog, pricing, checkout, proxy, admin] = await Promise.all(Array.from({ length: 6 }, freePort));
  const dir = tempDir('launch');
  return {
    LEGACY_PORT: String(legacy), CATALOG_PORT: String(catalog), PRICING_PORT: String(pricing), CHECKOUT_PORT: String(checkout),
    PROXY_PORT: String(proxy), PROXY_HOST: '127.0.0.1', ADMIN_PORT: String(admin),
    SHOP_DB: path.join(dir, 'shop.sqlite'), STRANGLER_DIFF_DB: path.join(dir, 'diffs.sqlite'), STRANGLER_RULES: path.join(REPO_ROOT, 'routing-rules.yaml'),
  };
}

/** The ports a moved shop listens on. */
export function shopPorts(env: Record<string, string>): number[] {
  return ['LEGACY_PORT', 'CATALOG_PORT', 'PRICING_PORT', 'CHECKOUT_PORT', 'PROXY_PORT', 'ADMIN_PORT'].map((name) => Number(env[name]));
}

export interface Launch {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** True once the banner is printed; false when the process exits first (or after 90 s). */
  readonly ready: Promise<boolean>;
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs `node dist/scripts/cli.js start`, or with `npm: true` `npm start` as a user types it, but
 * without `prestart` (the build, which `pretest` has done): npm runs the start script itself as
 * with the build before it.
 */
export function launch(env: Record<string, string>, options: { npm?: boolean } = {}): Launch {
  const fullEnv = { ...process.env, LOG_LEVEL: 'warn', ...env };
  const child = options.npm
    ? spawn('npm', ['start', '--ignore-scripts', '--silent'], { cwd: REPO_ROOT, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, [path.join(DIST, 'scripts', 'cli.js'), 'start'], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<boolean>((resolve) => {
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => { lines.push(line); if (line.startsWith('Strangler is running')) resolve(true); });
    }
    void exited.then(() => resolve(false));
    setTimeout(() => resolve(false), 90_000).unref();
  });
  return { child, lines, ready, exited, stop: (signal = 'SIGTERM') => { child.kill(signal); return exited; } };
}

/** Parent pid by pid, for every process now alive (zombies left out: they hold no port). */
function parents(): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try { stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8'); } catch { continue; }
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state !== 'Z') byPid.set(Number(entry), Number(ppid));
  }
  return byPid;
}

/** Every live process below `root` (children, their children…). */
export function descendants(root: number): number[] {
  const byPid = parents();
  const found: number[] = [];
  const walk = (pid: number): void => {
    for (const [child, parent] of byPid) if (parent === pid) { found.push(child); walk(child); }
  };
  walk(root);
  return found;
}

/** The ones of `pids` still alive (not exited, not a zombie). */
export function stillAlive(pids: readonly number[]): number[] {
  const alive = parents();
  return pids.filter((pid) => alive.has(pid));
}

/** The launcher's own children by what they run: `proxy`, `legacy`, `catalog`… (from /proc/<pid>/cmdline). */
export function childrenByName(launcherPid: number): Map<string, number> {
  const named = new Map<string, number>();
  for (const [pid, parent] of parents()) {
    if (parent !== launcherPid) continue;
    try {
      const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      named.set(args[args.length - 1], pid);
    } catch { /* gone meanwhile */ }
  }
  return named;
}
