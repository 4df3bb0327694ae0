/**
 * What replicas behind a load balancer must show (replica-set.ts starts them): the same shopper
 * gets the same side from every replica; an edit of the rules file reaches all of them within a
 * second; the report over the shared store counts every replica's comparisons; a replica killed
 * under load costs at most the requests it had in flight, and none of the rows it had written.
 * Each check measures and returns; the demo prints, the test asserts.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { DiffReport } from '../../shadow/report/model';
import type { ReplicaRows } from '../../shadow/store/store';
import { runCli, tempDir } from '../testing/processes';
import { PRODUCT_ROUTE, rulesYaml, type Replica, type ReplicaSet } from './replica-set';

interface Answer { status: number; backend: string | null }

function get(port: number, target: string, headers: http.OutgoingHttpHeaders, agent: http.Agent | false = false, timeoutMs = 5000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: target, headers, agent, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, backend: (res.headers['x-strangler-backend'] as string | undefined) ?? null }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function json<T>(port: number, target: string): Promise<T> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: target, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d; });
      res.on('end', () => { try { resolve(JSON.parse(body) as T); } catch (error) { reject(error as Error); } });
    }).on('error', reject);
  });
}

async function requestsServed(replica: Replica): Promise<number> {
  const metrics = await new Promise<string>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: replica.adminPort, path: '/metrics', agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d; });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
  return [...metrics.matchAll(/^strangler_requests_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

export interface StickyResult {
  readonly identities: number;
  readonly requests: number;
  /** Identities that got more than one side across nginx and the replicas: must be 0. */
  readonly flipped: string[];
  /** How many identities went to each side. */
  readonly sides: Record<string, number>;
  /** Requests each replica answered during the check (nginx spreads them). */
  readonly perReplica: Record<string, number>;
}

/** Each identity `viaBalancer` times through nginx, and once straight to every replica. */
export async function sameSideEverywhere(set: ReplicaSet, identities = 40, viaBalancer = 6): Promise<StickyResult> {
  const before = await Promise.all(set.replicas.map(requestsServed));
  const flipped: string[] = [];
  const sides: Record<string, number> = {};
  let requests = 0;
  for (let i = 0; i < identities; i++) {
    const user = `shopper-${i}`;
    const seen = new Set<string>();
    const ports = [...Array.from({ length: viaBalancer }, () => set.port), ...set.replicas.map((r) => r.port)];
    for (const port of ports) {
      const answer = await get(port, `/api/products/${i % 7}`, { 'x-user-id': user });
      requests++;
      if (answer.status !== 200) throw new Error(`GET /api/products/${i % 7} as ${user} on port ${port} answered ${answer.status}`);
      seen.add(answer.backend ?? '(none)');
    }
    if (seen.size !== 1) flipped.push(`${user}: ${[...seen].join(', ')}`);
    const side = [...seen][0];
    sides[side] = (sides[side] ?? 0) + 1;
  }
  const after = await Promise.all(set.replicas.map(requestsServed));
  return { identities, requests, flipped, sides, perReplica: Object.fromEntries(set.replicas.map((r, i) => [r.name, after[i] - before[i]])) };
}

export interface PropagationResult {
  /** From the write of the rules file to every replica's /status showing a new epoch. */
  readonly ms: number;
  readonly epochs: Record<string, { before: number; after: number }>;
}

/** Raises the route's percent by editing the file in place; polls every replica's /status until all changed epoch. */
export async function editReachesEveryReplica(set: ReplicaSet, percent: number, withinMs = 5000): Promise<PropagationResult> {
  const epoch = async (r: Replica): Promise<number> => (await json<{ epoch: number }>(r.adminPort, '/status')).epoch;
  const before = await Promise.all(set.replicas.map(epoch));
  const written = performance.now();
  fs.writeFileSync(set.rulesFile, rulesYaml(set.legacy.url, set.extracted.url, percent));
  const after = [...before];
  const done = set.replicas.map(() => false);
  let ms = 0;
  while (done.some((d) => !d)) {
    if (performance.now() - written > withinMs) throw new Error(`after ${withinMs} ms the epochs are ${after.join(', ')} (were ${before.join(', ')})`);
    await Promise.all(set.replicas.map(async (r, i) => {
      if (done[i]) return;
      after[i] = await epoch(r);
      if (after[i] !== before[i]) { done[i] = true; ms = performance.now() - written; }
    }));
  }
  return { ms: Math.round(ms), epochs: Object.fromEntries(set.replicas.map((r, i) => [r.name, { before: before[i], after: after[i] }])) };
}

export interface ReportResult {
  readonly exitCode: number | null;
  readonly replicas: readonly ReplicaRows[];
  readonly compared: number;
  readonly store: string;
}

/** `strangler report --db postgres://…` over the shared store, after every replica has flushed (they do every 250 ms). */
export async function reportOverEveryReplica(set: ReplicaSet): Promise<ReportResult> {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const out = path.join(tempDir('replicas-report'), 'report');
  const run = await runCli(['report', '--db', set.pg.url, '--rules', set.rulesFile, '--out', out]);
  if (!fs.existsSync(path.join(out, 'report.json'))) throw new Error(`strangler report wrote nothing (exit ${run.code}): ${run.stderr}`);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as DiffReport;
  return { exitCode: run.code, replicas: report.replicas, compared: report.routes.find((r) => r.route === PRODUCT_ROUTE)?.compared ?? 0, store: report.store };
}

export interface KillResult {
  readonly victim: string;
  /** Requests the victim had answered during the load before it was killed (it was taking its share). */
  readonly victimAnswered: number;
  readonly sent: number;
  readonly failed: number;
  /** Requests the load generator had in flight (to any replica) when the victim was killed: the most the kill may cost. */
  readonly inFlightAtKill: number;
  /** Diff rows of the victim in the store just before the kill, and how many of them are still there after. */
  readonly rowsBefore: number;
  readonly rowsStillThere: number;
  readonly rowsAfter: number;
  readonly failures: readonly string[];
}

const rowIds = (set: ReplicaSet, replica: string): Set<string> =>
  new Set(set.pg.sql(`SELECT id FROM diffs WHERE replica = '${replica.replace(/'/g, "''")}'`).split('\n').filter(Boolean));

/**
 * Steady GET load through nginx (`concurrency` shoppers, keep-alive) for `durationMs`; a third of
 * the way in, `victim` is killed with SIGKILL: no drain, no last flush.
 */
export async function killUnderLoad(set: ReplicaSet, victim: Replica, concurrency = 8, durationMs = 3000): Promise<KillResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let sent = 0;
  let inFlight = 0;
  const failures: string[] = [];
  const started = Date.now();
  const shopper = async (n: number): Promise<void> => {
    for (let i = 0; Date.now() - started < durationMs; i++) {
      sent++;
      inFlight++;
      try {
        const answer = await get(set.port, `/api/products/${i % 50}`, { 'x-user-id': `load-${n}-${i % 20}` }, agent);
        if (answer.status !== 200) failures.push(`${Date.now() - started} ms: status ${answer.status}`);
      } catch (error) {
        failures.push(`${Date.now() - started} ms: ${(error as Error).message}`);
      } finally {
        inFlight--;
      }
    }
  };
  let killed: { inFlight: number; rows: Set<string>; answered: number } | null = null;
  const answeredBefore = await requestsServed(victim);
  const killer = (async () => {
    await new Promise((resolve) => setTimeout(resolve, durationMs / 3));
    const answered = await requestsServed(victim) - answeredBefore;
    const rows = rowIds(set, victim.name);
    killed = { inFlight, rows, answered };
    victim.process.child.kill('SIGKILL');
  })();
  await Promise.all([...Array.from({ length: concurrency }, (_v, n) => shopper(n)), killer]);
  agent.destroy();
  const { inFlight: inFlightAtKill, rows, answered } = killed!;
  const after = rowIds(set, victim.name);
  return {
    victim: victim.name, victimAnswered: answered, sent, failed: failures.length, inFlightAtKill, failures,
    rowsBefore: rows.size, rowsStillThere: [...rows].filter((id) => after.has(id)).length, rowsAfter: after.size,
  };
}
