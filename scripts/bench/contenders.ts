import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ITEMS_PATH } from './bench-paths';
import { childPids } from './procstat';
import { nginxConfig } from './nginx';

/** The repo root, found from wherever this file runs (src or dist). */
export function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

const DIST = path.join(repoRoot(), 'dist');

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function waitHttp(url: string, ms = 15000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get(url, { agent: false }, (res) => { res.resume(); resolve((res.statusCode ?? 500) < 500); });
      req.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

export interface Running { name: string; url: string; pids(): number[]; adminUrl?: string; stop(): Promise<void> }

/** Starts a command pinned to one core, its output discarded (logs cost the same whoever reads them). */
/** `core`: one core, or a taskset list such as "0,1". */
export function pinned(core: number | string, command: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn('taskset', ['-c', String(core), command, ...args], { stdio: 'ignore', env: { ...process.env, ...env } });
}

/** Stops a child: SIGTERM, then SIGKILL if it has not exited within 5 s. */
export function stopper(child: ChildProcess): () => Promise<void> {
  return () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

export async function startUpstream(core: number, delayMs = 0): Promise<Running> {
  const port = await freePort();
  const child = pinned(core, process.execPath, [path.join(DIST, 'scripts/bench/upstream-server.js'), String(port), String(delayMs)]);
  const url = `http://127.0.0.1:${port}`;
  if (delayMs === 0) await waitHttp(`${url}/`);
  else await new Promise((r) => setTimeout(r, 500));
  return { name: delayMs ? `upstream (sleeps ${delayMs} ms)` : 'upstream', url, pids: () => [child.pid!], stop: stopper(child) };
}

/** A one-file Node forwarder (`node SCRIPT TARGET PORT`) on one core. */
async function startForwarder(core: number, script: string, name: string, target: string): Promise<Running> {
  const port = await freePort();
  const child = pinned(core, process.execPath, [path.join(DIST, 'scripts/bench', script), target, String(port)]);
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/`);
  return { name, url, pids: () => [child.pid!], stop: stopper(child) };
}

export function startBareProxy(core: number, target: string): Promise<Running> {
  return startForwarder(core, 'bare-proxy.js', 'bare http-proxy', target);
}

export function startUndiciForwarder(core: number, target: string): Promise<Running> {
  return startForwarder(core, 'undici-forwarder.js', 'minimal undici forwarder', target);
}

export async function startNginx(core: number, legacyPort: number, extractedPort: number): Promise<Running> {
  const port = await freePort();
  const { prefix, conf } = nginxConfig(port, legacyPort, extractedPort);
  const child = pinned(core, 'nginx', ['-p', prefix, '-c', conf]);
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/`);
  return { name: 'nginx split_clients', url, pids: () => [child.pid!, ...childPids(child.pid!)], stop: stopper(child) };
}

/** Our proxy with a given rules file, on one core, logging at info to a discarded stdout. */
export async function startStrangler(core: number | string, name: string, rulesYaml: string, env: (dir: string) => Promise<Record<string, string>> = async () => ({})): Promise<Running> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strangler-bench-'));
  fs.writeFileSync(path.join(dir, 'rules.yaml'), rulesYaml);
  const [port, adminPort] = [await freePort(), await freePort()];
  const child = pinned(core, process.execPath, [path.join(DIST, 'proxy/main.js')], {
    PROXY_PORT: String(port), PROXY_HOST: '127.0.0.1', ADMIN_PORT: String(adminPort), STRANGLER_RULES: path.join(dir, 'rules.yaml'),
    STRANGLER_DIFF_DB: path.join(dir, 'diffs.sqlite'), LOG_LEVEL: 'info', ...(await env(dir)),
  });
  await waitHttp(`http://127.0.0.1:${adminPort}/readyz`);
  // With STRANGLER_WORKERS the workers are the primary's children: their CPU counts too.
  return { name, url: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}`, pids: () => [child.pid!, ...childPids(child.pid!)], stop: stopper(child) };
}

/**
 * Rules for a benchmark: `count` routes, the benchmarked path (default ITEMS_PATH) matching the last
 * one. Every route carries the shipped default breaker, so its cost is in every figure (the
 * evidence counters are always on).
 */
/**
 * The environment of a proxy whose last route follows the Unleash flag `bench-flag` at `percent`,
 * read from unleash-client's backup file; Unleash itself is a closed port, so nothing goes over
 * the network and each request is one isEnabled evaluation with the request's context.
 */
export function flagFromBackup(percent: number, constrained = false): (dir: string) => Promise<Record<string, string>> {
  // A constraint every request meets (no region is "not mars"), so the split stays 25 % but the
  // SDK must evaluate the flag on each request instead of the proxy's bucket deciding alone.
  const constraints = constrained ? [{ contextName: 'region', operator: 'NOT_IN', values: ['mars'], inverted: false, caseInsensitive: false }] : [];
  return async (dir) => {
    const feature = { name: 'bench-flag', enabled: true, type: 'release', project: 'default',
      strategies: [{ name: 'flexibleRollout', parameters: { rollout: String(percent), stickiness: 'default', groupId: 'r0' }, constraints }] };
    fs.writeFileSync(path.join(dir, 'unleash-backup-strangler-bench.json'), JSON.stringify({ version: 2, features: [feature], segments: [] }));
    return { UNLEASH_URL: `http://127.0.0.1:${await freePort()}/api/`, UNLEASH_APP_NAME: 'strangler-bench', UNLEASH_BACKUP_DIR: dir, UNLEASH_REFRESH_INTERVAL_MS: '3600000' };
  };
}

export function benchRules(legacy: string, extracted: string, options: { percent: number; shadow?: number; routes?: number; path?: string; flag?: boolean; overload?: false }): string {
  const count = options.routes ?? 1;
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const last = i === count - 1;
    const path = last ? (options.path ?? ITEMS_PATH) : `/api/other-${i}/:id`;
    lines.push(`  - { name: r${i}, match: { methods: [GET], path: "${path}" }, extracted: svc, percent: ${last ? options.percent : 0}${last && options.shadow ? `, shadow: { percent: ${options.shadow} }` : ''}${last && options.flag ? ', flag: bench-flag' : ''} }`);
  }
  const defaults = `defaults:\n  breaker: { failure_rate: 0.5, min_requests: 20, window: 10s, open_for: 30s, probes: 5 }\n${options.overload === false ? '  overload: false\n' : ''}`;
  return `version: 1\nupstreams: { legacy: "${legacy}", svc: "${extracted}" }\n${defaults}routes:\n${lines.join('\n')}\n`;
}
