import { execFile, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { BIG_ANSWER_PATH } from './bench-paths';
import { childPids } from './procstat';
import { benchRules, freePort, repoRoot, startStrangler, startUpstream, type Running } from './contenders';
import { LOAD_CORE, PROXY_CORE, measureInterleaved, type ContenderResult, type ContenderStart, type HttpBenchOptions } from './http-bench';
import type { KindCapacity } from './shadow-capacity';

/**
 * `--only shadow`: what mirroring costs the shoppers, and what the evidence pipeline can take.
 * Interleaved in one run: the 25 % split against the same with shadow 10 %, and the ~200 KB
 * answer with and without shadow 10 %; each shadowed one twice, its shadow worker thread on the
 * proxy's core (the bench's pinning: the whole process on one core) and unpinned (the proxy's
 * main thread alone on that core, its other threads free to run on the other). Then the
 * capacity of one shadow worker thread for noisy JSON and HTML pages (shadow-capacity.ts).
 */
export const SPLIT = 'strangler 25% split';
export const SHADOWED = 'strangler 25% + shadow 10%';
export const BIG_PLAIN = 'strangler 25%, 200 KB answer';
export const BIG_SHADOWED = 'strangler 25% + shadow 10%, 200 KB answer';
export const UNPINNED = ', worker unpinned';

/**
 * The proxy started on both cores, then its main thread (whose thread id is the pid) pinned to
 * PROXY_CORE: the threads it starts later inherit that, but the shadow worker is up before /readyz.
 */
async function startUnpinned(name: string, rules: string, env?: (dir: string) => Promise<Record<string, string>>): Promise<Running> {
  const running = await startStrangler(`${PROXY_CORE},${LOAD_CORE}`, name, rules, env);
  const [pid] = running.pids();
  execFileSync('taskset', ['-p', '-c', String(PROXY_CORE), String(pid)], { stdio: 'ignore' });
  return running;
}

export interface ShadowBenchResult { contenders: ContenderResult[]; capacity: KindCapacity[] }

export async function runShadowBench(options: HttpBenchOptions, log: (line: string) => void): Promise<ShadowBenchResult> {
  const upstream = await startUpstream(LOAD_CORE);
  try {
    const rules = (shadow: number | undefined, big: boolean): string => benchRules(upstream.url, upstream.url, { percent: 25, shadow, ...(big ? { path: BIG_ANSWER_PATH } : {}) });
    const pinned = (name: string, r: string): ContenderStart => ({ name, start: () => startStrangler(PROXY_CORE, name, r) });
    const unpinned = (name: string, r: string): ContenderStart => ({ name, start: () => startUnpinned(name, r) });
    const big = (c: ContenderStart): ContenderStart => ({ ...c, path: BIG_ANSWER_PATH, connections: [1, 50] });
    const contenders = await measureInterleaved([
      pinned(SPLIT, rules(undefined, false)),
      pinned(SHADOWED, rules(10, false)),
      unpinned(SHADOWED + UNPINNED, rules(10, false)),
      big(pinned(BIG_PLAIN, rules(undefined, true))),
      big(pinned(BIG_SHADOWED, rules(10, true))),
      big(unpinned(BIG_SHADOWED + UNPINNED, rules(10, true))),
    ], options, log);
    log('\nShadow capacity: one shadow worker thread, noisy ~200 KB pages (a CSRF token and a render id differ every time)');
    const capacity = await runCapacity(options.seconds, log);
    return { contenders, capacity };
  } finally {
    await upstream.stop();
  }
}

/** The noisy pages' server on the load core, the capacity driver (with its worker thread) alone on the proxy's core. */
export async function runCapacity(seconds: number, log: (line: string) => void): Promise<KindCapacity[]> {
  const dist = path.join(repoRoot(), 'dist/scripts/bench');
  const port = await freePort();
  const server = spawn('taskset', ['-c', String(LOAD_CORE), process.execPath, path.join(dist, 'noisy-pages.js'), String(port)], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout.once('data', () => resolve());
      server.once('exit', () => reject(new Error('the noisy pages server ended before listening')));
    });
    const output = await new Promise<string>((resolve, reject) => {
      execFile('taskset', ['-c', String(PROXY_CORE), process.execPath, path.join(dist, 'shadow-capacity.js'), `http://127.0.0.1:${port}`, String(seconds)],
        { timeout: (seconds * 6 + 90) * 1000 }, (error, stdout) => (error ? reject(new Error(`shadow capacity failed: ${error.message}`)) : resolve(stdout)));
    });
    const results = JSON.parse(output.trim().split('\n').pop()!) as KindCapacity[];
    for (const line of capacityLines(results)) log(line);
    return results;
  } finally {
    server.kill('SIGTERM');
  }
}

export function capacityLines(results: readonly KindCapacity[]): string[] {
  return results.map((r) => {
    const past = r.pastCapacity;
    return `${r.kind.toUpperCase().padEnd(4)} ${Math.round(r.bytes / 1024)} KB: ${r.capacity.perSecond} comparisons/s per worker thread; offered ${past.offered} at 4× for ${past.seconds} s: ${past.compared} compared, ${past.dropped} dropped and counted, ${past.errors} errors`;
  });
}

/** The shadow targets of issue #25, met or missed, from one run's contenders. */
export function shadowLines(contenders: readonly ContenderResult[]): string[] {
  const at = (name: string, connections: number) => contenders.find((c) => c.name === name)?.levels.find((l) => l.connections === connections)?.median;
  const lines: string[] = [];
  for (const suffix of ['', UNPINNED]) {
    const where = suffix === '' ? 'worker on the proxy\'s core' : 'worker unpinned';
    const split = at(SPLIT, 50);
    const shadowed = at(SHADOWED + suffix, 50);
    if (split && shadowed) {
      const ratio = shadowed.rps / split.rps;
      lines.push(`25 % + shadow 10 % vs 25 % split, 50 conn., ${where}: ${ratio.toFixed(2)}× req/s (target ≥ 0.90: ${ratio >= 0.9 ? 'met' : 'missed'}), CPU ${(shadowed.cpuUsPerRequest / split.cpuUsPerRequest).toFixed(2)}× µs/req`);
    }
    for (const connections of [1, 50]) {
      const plain = at(BIG_PLAIN, connections);
      const big = at(BIG_SHADOWED + suffix, connections);
      if (!plain || !big) continue;
      const p99 = big.p99Ms / plain.p99Ms;
      lines.push(`200 KB answer, ${connections} conn., shadow 10 % vs none, ${where}: ${(big.rps / plain.rps).toFixed(2)}× req/s, p99 ${p99.toFixed(2)}× (${plain.p99Ms.toFixed(3)} → ${big.p99Ms.toFixed(3)} ms; target ≤ 1.25: ${p99 <= 1.25 ? 'met' : 'missed'})`);
    }
  }
  return lines;
}

export const ONE_PROCESS = 'strangler 25% split';
export const TWO_WORKERS = 'strangler 25% split, 2 workers';
export const TWO_WORKERS_APART = 'strangler 25% split, 2 workers on separate cores';

/**
 * `--only workers`: one process against a primary and two workers all on the proxy's core (the
 * full run's contender), and against the same with the second worker moved (all its threads) to
 * the other core: if the extra CPU per request is the two processes taking turns on one core, it
 * goes when they no longer share it.
 */
export async function runWorkersBench(options: HttpBenchOptions, log: (line: string) => void): Promise<ContenderResult[]> {
  const upstream = await startUpstream(LOAD_CORE);
  try {
    const rules = benchRules(upstream.url, upstream.url, { percent: 25 });
    const two = async (name: string): Promise<Running> => startStrangler(PROXY_CORE, name, rules, async () => ({ STRANGLER_WORKERS: '2' }));
    const results = await measureInterleaved([
      { name: ONE_PROCESS, start: () => startStrangler(PROXY_CORE, ONE_PROCESS, rules) },
      { name: TWO_WORKERS, start: () => two(TWO_WORKERS) },
      {
        name: TWO_WORKERS_APART,
        start: async () => {
          const running = await two(TWO_WORKERS_APART);
          const workers = childPids(running.pids()[0]);
          if (workers.length < 2) throw new Error(`expected 2 workers, found ${workers.length}`);
          execFileSync('taskset', ['-a', '-p', '-c', String(LOAD_CORE), String(workers[1])], { stdio: 'ignore' });
          return running;
        },
      },
    ], options, log);
    const one = results[0];
    for (const c of results.slice(1)) {
      const levels = c.levels.map((level) => {
        const single = one.levels.find((l) => l.connections === level.connections)?.median.cpuUsPerRequest;
        return `c=${level.connections} ${single ? (level.median.cpuUsPerRequest / single).toFixed(2) : '-'}×`;
      });
      log(`${c.name}: CPU µs/request over 1 process: ${levels.join(', ')}`);
    }
    return results;
  } finally {
    await upstream.stop();
  }
}
