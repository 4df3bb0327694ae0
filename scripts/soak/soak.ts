/**
 * `npm run soak [-- --minutes N]`: rounds of mixed shopper traffic through the real proxy process
 * with a different fault injected between the proxy and extracted each round (scripts/testing/
 * fault-proxy.ts), an idle pause after each round, and a measurement in the pause:
 *   - retained heap (after a forced GC), which must stay within 10 % of the first measurement
 *     after the warm-up round;
 *   - open file descriptors and upstream sockets, which must return to their idle baseline;
 *   - shadow requests in flight and queued pool requests, which must drain to 0;
 *   - the proxy process must be alive and must not have logged a crash.
 * Prints a table, writes JSON to bench-results/soak-<time>.json, exits 1 when a check fails.
 * Everything runs on 127.0.0.1 and every loop is bounded in time.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { metricValue } from '../cli/admin-client';
import { startFaultProxy, type Toxic } from '../testing/fault-proxy';
import { crashLines } from '../testing/proxy-health';
import { tempDir } from '../testing/processes';
import { closedPort } from '../testing/upstreams';

const args = process.argv.slice(2);
const minutes = Number(args[args.indexOf('--minutes') + 1] ?? 6) || 6;
const ROUND_MS = 15_000;
const IDLE_MS = 5_000;
const WORKERS = 24;

const ROUNDS: Array<{ name: string; toxic: Toxic }> = [
  { name: 'warm-up', toxic: { kind: 'none' } },
  { name: 'latency 40 ms', toxic: { kind: 'latency', ms: 40 } },
  { name: 'resets', toxic: { kind: 'reset', afterMs: 5 } },
  { name: 'slicer', toxic: { kind: 'slicer', size: 64, delayMs: 1 } },
  { name: 'limit-data', toxic: { kind: 'limitData', bytes: 600 } },
  { name: 'blackhole', toxic: { kind: 'blackhole' } },
  { name: 'bandwidth', toxic: { kind: 'bandwidth', bytesPerSecond: 256 * 1024 } },
  { name: 'clean', toxic: { kind: 'none' } },
];

interface Measure { heapMb: number; fds: number; upstreamSockets: number; queued: number; shadowInFlight: number }
interface RoundResult extends Measure { round: number; name: string; requests: number; rps: number; statuses: Record<string, number>; clientErrors: number }

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function upstream(name: string, price: number): Promise<http.Server> {
  const body = (id: string): string => JSON.stringify({ id, name: `item ${id}`, price, upstream: name, filler: 'x'.repeat(900) });
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const payload = body(req.url ?? '/');
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
      setTimeout(() => res.end(payload), 2);
    });
  });
  server.keepAliveTimeout = 5000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const portOf = (server: http.Server | net.Server): number => (server.address() as net.AddressInfo).port;

async function adminGet(port: number, urlPath: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}${urlPath}`, { signal: AbortSignal.timeout(5000) });
  return response.text();
}

/** One shopper request of the mix; resolves with its status (0 = the client gave up on purpose or failed). */
function oneRequest(port: number, agent: http.Agent, i: number): Promise<number> {
  const pick = i % 20;
  const user = `soak-${i % 500}`;
  const options: http.RequestOptions = { host: '127.0.0.1', port, agent, headers: { 'x-user-id': user }, method: 'GET', path: `/api/items/${i % 97}` };
  let body: string | undefined;
  if (pick < 3) { options.path = `/about?i=${i}`; }
  else if (pick < 5) { options.method = 'POST'; options.path = '/api/orders'; body = '{"sku":"A-1","qty":1}'; options.headers = { ...options.headers, 'content-type': 'application/json', 'idempotency-key': `k-${i}` }; }
  else if (pick < 6) { options.method = 'POST'; options.path = '/api/orders'; body = '{"sku":"A-2","qty":1}'; options.headers = { ...options.headers, 'content-type': 'application/json' }; }
  return new Promise((resolve) => {
    const req = http.request(options, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(10_000, () => req.destroy());
    // One request in 40 is abandoned by its shopper right after it is sent.
    if (i % 40 === 39) setTimeout(() => req.destroy(), 3);
    req.end(body);
  });
}

/** Slowloris: connections that dribble header bytes until the proxy closes them. */
function slowClients(port: number, count: number, until: number): void {
  for (let c = 0; c < count; c++) {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('GET /api/items/1 HTTP/1.1\r\nHost: soak\r\n'));
    socket.on('error', () => undefined);
    const timer = setInterval(() => {
      if (Date.now() > until || socket.destroyed) { clearInterval(timer); socket.destroy(); return; }
      socket.write('X');
    }, 300);
    socket.on('close', () => clearInterval(timer));
  }
}

async function traffic(port: number, ms: number): Promise<{ requests: number; statuses: Record<string, number>; clientErrors: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: WORKERS });
  const statuses: Record<string, number> = {};
  let requests = 0;
  let clientErrors = 0;
  let counter = 0;
  const until = Date.now() + ms;
  slowClients(port, 8, until);
  await Promise.all(Array.from({ length: WORKERS }, async () => {
    while (Date.now() < until) {
      const status = await oneRequest(port, agent, counter++);
      requests++;
      if (status === 0) clientErrors++;
      else statuses[status] = (statuses[status] ?? 0) + 1;
    }
  }));
  agent.destroy();
  return { requests, statuses, clientErrors };
}

async function measure(pid: number, adminPort: number): Promise<Measure> {
  process.kill(pid, 'SIGUSR2'); // full GC in the proxy (proxy-under-soak.ts)
  await sleep(300);
  const metrics = await adminGet(adminPort, '/metrics');
  const status = JSON.parse(await adminGet(adminPort, '/status')) as { sockets: Record<string, { busy: number; idle: number; queued: number }> };
  const sockets = Object.values(status.sockets);
  return {
    heapMb: Math.round((metricValue(metrics, 'nodejs_heap_size_used_bytes') / 1024 / 1024) * 10) / 10,
    fds: fs.readdirSync(`/proc/${pid}/fd`).length,
    upstreamSockets: sockets.reduce((n, s) => n + s.busy + s.idle, 0),
    queued: sockets.reduce((n, s) => n + s.queued, 0),
    shadowInFlight: metricValue(metrics, 'strangler_shadow_in_flight'),
  };
}

async function main(): Promise<number> {
  const [legacy, svc] = await Promise.all([upstream('legacy', 1299), upstream('svc', 1300)]);
  const fault = await startFaultProxy(portOf(svc));
  const dir = tempDir('soak');
  const rulesFile = path.join(dir, 'routing-rules.yaml');
  fs.writeFileSync(rulesFile, `version: 1
upstreams: { legacy: "http://127.0.0.1:${portOf(legacy)}", svc: "http://127.0.0.1:${fault.port}" }
defaults: { sticky_by: [header:x-user-id], timeout_ms: 400 }
routes:
  - { name: items, match: { methods: [GET, HEAD], path: /api/items/:id }, extracted: svc, percent: 50, fallback: legacy, shadow: { percent: 20, ignore: [body.upstream] } }
  - { name: orders, match: { methods: [POST], path: /api/orders }, extracted: svc, percent: 50, fallback: legacy }
`);
  // Fixed free ports, so the proxy can log at warn (no access lines to pipe) and still be found.
  const [proxyPort, adminPort] = [await closedPort(), await closedPort()];
  const child = spawn(process.execPath, ['--expose-gc', path.join(__dirname, 'proxy-under-soak.js')], {
    env: {
      ...process.env, PROXY_PORT: String(proxyPort), ADMIN_PORT: String(adminPort), PROXY_HOST: '127.0.0.1', STRANGLER_RULES: rulesFile,
      STRANGLER_DIFF_DB: path.join(dir, 'diffs.sqlite'), STRANGLER_HEADERS_TIMEOUT_MS: '2000', LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (d: Buffer) => { if (lines.length < 10_000) lines.push(...String(d).split('\n').filter(Boolean)); });
  let exited = false;
  child.once('exit', () => { exited = true; });
  const cleanup = async (): Promise<void> => {
    child.kill('SIGTERM');
    await Promise.race([new Promise((resolve) => child.once('exit', resolve)), sleep(12_000)]);
    if (!exited) child.kill('SIGKILL');
    await fault.close();
    legacy.close();
    svc.close();
  };
  let ready = false;
  const startDeadline = Date.now() + 15_000;
  while (!ready && Date.now() < startDeadline && !exited) {
    ready = await adminGet(adminPort, '/readyz').then(() => true, () => false);
    if (!ready) await sleep(100);
  }
  if (!ready) { console.error(`the proxy did not start:\n${lines.join('\n')}`); await cleanup(); return 1; }

  const totalMs = minutes * 60_000;
  const started = Date.now();
  const results: RoundResult[] = [];
  for (let round = 0; Date.now() - started + ROUND_MS + IDLE_MS <= totalMs || round < 2; round++) {
    const plan = round === 0 ? ROUNDS[0] : ROUNDS[1 + ((round - 1) % (ROUNDS.length - 1))];
    fault.toxic = plan.toxic;
    const t0 = Date.now();
    const load = await traffic(proxyPort, ROUND_MS);
    const seconds = (Date.now() - t0) / 1000;
    fault.toxic = { kind: 'none' };
    await sleep(IDLE_MS);
    if (exited) break;
    const m = await measure(child.pid!, adminPort);
    results.push({ round, name: plan.name, ...load, rps: Math.round(load.requests / seconds), ...m });
    const r = results[results.length - 1];
    console.log(`round ${round} ${r.name.padEnd(14)} ${String(r.requests).padStart(7)} req ${String(r.rps).padStart(6)} req/s  5xx ${String(Object.entries(r.statuses).filter(([s]) => Number(s) >= 500).reduce((n, [, c]) => n + c, 0)).padStart(5)}  cut/aborted ${String(r.clientErrors).padStart(5)}  heap ${r.heapMb} MB  fds ${r.fds}  sockets ${r.upstreamSockets}  queued ${r.queued}  shadow ${r.shadowInFlight}`);
  }

  const failures: string[] = [];
  const crashes = crashLines(lines);
  if (exited) failures.push('the proxy process exited during the soak');
  if (crashes.length > 0) failures.push(`the proxy logged a crash: ${crashes[0]}`);
  const afterWarmUp = results.slice(1);
  if (afterWarmUp.length >= 2) {
    const base = afterWarmUp[0];
    const last = afterWarmUp[afterWarmUp.length - 1];
    const growth = (last.heapMb - base.heapMb) / base.heapMb;
    if (growth > 0.10) failures.push(`retained heap grew ${(growth * 100).toFixed(1)}% (${base.heapMb} → ${last.heapMb} MB), over the 10% limit`);
    const baselineFds = Math.min(...results.map((r) => r.fds));
    if (last.fds > baselineFds + 4) failures.push(`file descriptors did not return to baseline when idle (${last.fds} vs ${baselineFds})`);
  }
  for (const r of results) {
    if (r.upstreamSockets !== 0) failures.push(`round ${r.round}: ${r.upstreamSockets} upstream sockets still open after ${IDLE_MS} ms idle`);
    if (r.queued !== 0 || r.shadowInFlight !== 0) failures.push(`round ${r.round}: queues not drained (pool queue ${r.queued}, shadow in flight ${r.shadowInFlight})`);
  }
  const clean = results.filter((r) => r.name === 'warm-up' || r.name === 'clean');
  for (const r of clean) {
    const fiveXx = Object.entries(r.statuses).filter(([s]) => Number(s) >= 500).reduce((n, [, c]) => n + c, 0);
    if (fiveXx > 0) failures.push(`round ${r.round} (${r.name}, no fault): ${fiveXx} responses were 5xx`);
  }
  await cleanup();

  const out = path.resolve('bench-results');
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ minutes, roundMs: ROUND_MS, idleMs: IDLE_MS, workers: WORKERS, node: process.version, results, failures }, null, 2));
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
  if (failures.length > 0) {
    console.log(`SOAK FAILED:\n- ${failures.join('\n- ')}`);
    return 1;
  }
  console.log(`soak passed: ${results.length} rounds, ${results.reduce((n, r) => n + r.requests, 0)} requests, no crash, no leak, queues drained`);
  return 0;
}

main().then((code) => process.exit(code), (error: Error) => { console.error(error); process.exit(1); });
