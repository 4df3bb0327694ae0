import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { freePort, pinned, repoRoot, startStrangler, stopper, type Running } from './contenders';
import { LOAD_CORE, PROXY_CORE } from './http-bench';

/**
 * The `overload` section: an upstream with a fixed pool (4 at a time, 25 ms each: 160 answers/s),
 * an open-loop flood at 10× that on one route, and a critical route sending 10 orders/s on the
 * same upstream, through Strangler with no limit configured and through HAProxy with a hand-tuned
 * `maxconn` per server, `timeout queue` and a priority class for the orders: the best a fixed,
 * hand-set limit does. Each proxy on the proxy core; the load and the upstream on this process.
 */
export const WORKERS = 4;
export const SERVICE_MS = 25;
const CAPACITY_RPS = (WORKERS * 1000) / SERVICE_MS;
const FLOOD_FACTOR = 10;
const ORDERS_PER_SECOND = 10;
const MAX_QUEUE_MS = 1000;
/** No answer within this long counts as a failure. */
const CLIENT_TIMEOUT_MS = 8000;

export interface OverloadFigures {
  readonly name: string;
  readonly offeredRps: number;
  readonly capacityRps: number;
  /** 2xx answers a second completed while the flood ran, every route. */
  readonly goodputRps: number;
  readonly critical: { readonly p50Ms: number; readonly p99Ms: number; readonly failed: number; readonly sent: number };
  /** Browse answers 503 (shed by the proxy). */
  readonly shed: number;
  readonly shedP99Ms: number;
  /** Shed answers without Retry-After. */
  readonly shedWithoutRetryAfter: number;
  readonly browse: { readonly sent: number; readonly served: number; readonly servedP50Ms: number; readonly servedP99Ms: number; readonly servedMaxMs: number; readonly noAnswer: number; readonly otherErrors: number };
  /** After the flood: how long until 5 answers in a row come within 2× the unloaded latency (null: never within 3 s). */
  readonly recoveryMs: number | null;
}

interface Answer { status: number; ms: number; retryAfter: boolean; endAt: number }

const percentile = (values: number[], p: number): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 10) / 10;
};

function send(agent: http.Agent, url: URL, method: string, body: string | null): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (status: number, retryAfter: boolean): void => {
      if (done) return;
      done = true;
      const endAt = performance.now();
      resolve({ status, ms: endAt - started, retryAfter, endAt });
    };
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method, agent, headers: body === null ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => finish(res.statusCode ?? 0, res.headers['retry-after'] !== undefined));
      res.on('error', () => finish(0, false));
    });
    req.setTimeout(CLIENT_TIMEOUT_MS, () => { req.destroy(); finish(0, false); });
    req.on('error', () => finish(0, false));
    req.end(body ?? undefined);
  });
}

/** Sends `rate` requests a second, whatever the answers take, for `seconds`; resolves when all are answered. */
async function openLoop(rate: number, seconds: number, make: (i: number) => Promise<Answer>): Promise<Answer[]> {
  const pending: Array<Promise<Answer>> = [];
  const started = performance.now();
  const total = Math.round(rate * seconds);
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
      while (sent < due) pending.push(make(sent++));
      if (sent >= total) { resolve(); return; }
      setTimeout(tick, 2);
    };
    tick();
  });
  return Promise.all(pending);
}

async function unloadedLatency(agent: http.Agent, base: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 20; i++) times.push((await send(agent, new URL(`${base}/browse/warm-${i}`), 'GET', null)).ms);
  return percentile(times, 50);
}

async function recovery(agent: http.Agent, base: string, normalMs: number): Promise<number | null> {
  const started = performance.now();
  let streak = 0;
  let firstOfStreak = 0;
  while (performance.now() - started < 3000) {
    const at = performance.now() - started;
    const answer = await send(agent, new URL(`${base}/browse/after`), 'GET', null);
    if (answer.status === 200 && answer.ms <= Math.max(2 * normalMs, SERVICE_MS + 15)) {
      if (streak === 0) firstOfStreak = at;
      if (++streak === 5) return Math.round(firstOfStreak);
    } else streak = 0;
    await new Promise((r) => setTimeout(r, 20));
  }
  return null;
}

/** One contender through the whole scenario: warm-up, the flood with orders, then recovery. */
async function scenario(name: string, base: string, seconds: number): Promise<OverloadFigures> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4096 });
  try {
    const normalMs = await unloadedLatency(agent, base);
    const floodRate = CAPACITY_RPS * FLOOD_FACTOR;
    const floodStart = performance.now();
    const floodEnd = floodStart + seconds * 1000;
    const [browse, orders] = await Promise.all([
      openLoop(floodRate, seconds, (i) => send(agent, new URL(`${base}/browse/${i}`), 'GET', null)),
      openLoop(ORDERS_PER_SECOND, seconds, (i) => send(agent, new URL(`${base}/checkout`), 'POST', JSON.stringify({ order: i }))),
    ]);
    const recoveryMs = await recovery(agent, base, normalMs);
    const served = browse.filter((a) => a.status === 200);
    const shed = browse.filter((a) => a.status === 503);
    const okOrders = orders.filter((a) => a.status >= 200 && a.status < 300);
    return {
      name,
      offeredRps: floodRate + ORDERS_PER_SECOND,
      capacityRps: CAPACITY_RPS,
      // Answers completed while the flood ran: what the upstream delivered at 10× its capacity.
      goodputRps: Math.round([...served, ...okOrders].filter((a) => a.endAt <= floodEnd).length / seconds),
      critical: { p50Ms: percentile(okOrders.map((a) => a.ms), 50), p99Ms: percentile(okOrders.map((a) => a.ms), 99), failed: orders.length - okOrders.length, sent: orders.length },
      shed: shed.length,
      shedP99Ms: percentile(shed.map((a) => a.ms), 99),
      shedWithoutRetryAfter: shed.filter((a) => !a.retryAfter).length,
      browse: {
        sent: browse.length, served: served.length,
        servedP50Ms: percentile(served.map((a) => a.ms), 50), servedP99Ms: percentile(served.map((a) => a.ms), 99),
        servedMaxMs: Math.round(Math.max(0, ...served.map((a) => a.ms))),
        noAnswer: browse.filter((a) => a.status === 0).length, otherErrors: browse.filter((a) => a.status !== 0 && a.status !== 200 && a.status !== 503).length,
      },
      recoveryMs,
    };
  } finally {
    agent.destroy();
  }
}

function stranglerRules(upstream: string): string {
  return `version: 1
upstreams: { legacy: "${upstream}", svc: "${upstream}" }
routes:
  - { name: checkout, match: { methods: [POST], path: /checkout }, extracted: svc, priority: critical }
  - { name: browse, match: { methods: [GET], path: /browse/:id }, extracted: svc }
`;
}

/**
 * HAProxy hand-tuned for this upstream: as many connections as it has workers, waiting at most
 * max_queue in HAProxy's queue, orders first (set-priority-class), 503 past that.
 */
function haproxyConfig(port: number, upstreamPort: number): string {
  return `global
  maxconn 8000
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  timeout queue ${MAX_QUEUE_MS}ms
  option http-keep-alive
frontend shop
  bind 127.0.0.1:${port}
  http-request set-priority-class int(-10) if { path /checkout }
  default_backend legacy
backend legacy
  http-reuse always
  server legacy 127.0.0.1:${upstreamPort} maxconn ${WORKERS}
`;
}

async function startHaproxy(core: number, upstreamPort: number): Promise<Running & { maxconn: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strangler-bench-haproxy-'));
  const port = await freePort();
  const conf = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(conf, haproxyConfig(port, upstreamPort));
  const child = pinned(core, 'haproxy', ['-f', conf]);
  await new Promise((r) => setTimeout(r, 700));
  return { name: 'haproxy', url: `http://127.0.0.1:${port}`, maxconn: WORKERS, pids: () => [child.pid!], stop: stopper(child) };
}

interface BenchUpstream { readonly url: string; readonly port: number; close(): Promise<void> }

/** The pooled upstream in its own process on the load core. */
async function startBenchUpstream(): Promise<BenchUpstream> {
  const script = path.join(repoRoot(), 'dist/scripts/bench/pooled-upstream-server.js');
  const child = spawn('taskset', ['-c', String(LOAD_CORE), process.execPath, script, String(WORKERS), String(SERVICE_MS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim().split('\n')[0])));
    child.once('exit', (code) => reject(new Error(`the bench upstream exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`, port,
    close: () => new Promise((resolve) => { child.once('exit', () => resolve()); child.stdin!.end(); }),
  };
}

export interface OverloadResult {
  readonly upstream: { readonly workers: number; readonly serviceMs: number; readonly capacityRps: number };
  readonly seconds: number;
  readonly maxQueueMs: number;
  readonly contenders: readonly OverloadFigures[];
  /** The same two rows by name, for tools that read one figure. */
  readonly strangler: OverloadFigures;
  readonly haproxy: OverloadFigures;
}

export async function runOverloadBench(seconds: number, log: (line: string) => void): Promise<OverloadResult> {
  const contenders: OverloadFigures[] = [];
  for (const [name, start] of [
    ['strangler (no limit configured)', (u: BenchUpstream) => startStrangler(PROXY_CORE, 'strangler overload', stranglerRules(u.url))],
    [`haproxy maxconn ${WORKERS}, timeout queue ${MAX_QUEUE_MS}ms`, (u: BenchUpstream) => startHaproxy(PROXY_CORE, u.port)],
  ] as const) {
    // A fresh upstream per contender: nothing queued from the one before.
    const upstream = await startBenchUpstream();
    const proxy = await start(upstream);
    try {
      log(`overload: ${name} ...`);
      contenders.push(await scenario(name, proxy.url, seconds));
    } finally {
      await proxy.stop();
      await upstream.close();
    }
  }
  const [strangler, haproxy] = contenders;
  return { upstream: { workers: WORKERS, serviceMs: SERVICE_MS, capacityRps: CAPACITY_RPS }, seconds, maxQueueMs: MAX_QUEUE_MS, contenders, strangler, haproxy };
}

export function overloadLines(result: OverloadResult): string[] {
  const lines = [
    `${'contender'.padEnd(41)} offered  goodput  critical p50/p99 ms  failed   shed  shed p99  served p99/max ms  no answer  recovery`,
  ];
  for (const c of result.contenders) {
    lines.push([
      c.name.padEnd(41), String(c.offeredRps).padStart(7), `${c.goodputRps}/s`.padStart(8),
      `${c.critical.p50Ms}/${c.critical.p99Ms}`.padStart(20), `${c.critical.failed}/${c.critical.sent}`.padStart(7),
      String(c.shed).padStart(6), `${c.shedP99Ms}`.padStart(9), `${c.browse.servedP99Ms}/${c.browse.servedMaxMs}`.padStart(18),
      String(c.browse.noAnswer).padStart(10), c.recoveryMs === null ? '     never' : `${c.recoveryMs} ms`.padStart(10),
    ].join(' '));
  }
  return lines;
}
