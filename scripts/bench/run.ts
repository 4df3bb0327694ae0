import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from './contenders';
import { benchComparisons, comparisonLines } from './compare-bench';
import { benchDecision, type DecisionResult } from './decision-bench';
import { BIG_ANSWER_PATH, ITEMS_PATH } from './bench-paths';
import { CONCURRENT, runBigBodies, SEQUENTIAL, type BigBodiesResult } from './big-bodies';
import { BIG_ANSWER_CONTENDERS, LOAD_CORE, PROXY_CORE, runHttpBench, runSplitBench, runTracingBench, type ContenderResult } from './http-bench';
import { benchGate } from './gate-bench';
import { overloadLines, runOverloadBench, type OverloadResult } from './overload-bench';
import { runCapacity, runShadowBench, runWorkersBench, shadowLines } from './shadow-bench';
import { benchTracingAlone, type TracingAloneResult } from './tracing-alone';
import { tracingCostLines } from './tracing-cost';

/**
 * `npm run bench [-- --quick]`: the proxy side by side with its peers on loopback, in one run and
 * under the same load, then the routing decision alone and the shadow comparison alone. Prints tables, writes JSON to
 * bench-results/. Only same-run ratios count: absolute figures drift between runs.
 */
const WIDTH = 41; // the longest contender name, 'strangler 25% + shadow 10%, 200 KB answer'

function has(command: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }); return true; } catch { return false; }
}

function ensureTools(log: (line: string) => void): void {
  const missing = [['wrk', 'wrk'], ['nginx', 'nginx-light'], ['haproxy', 'haproxy'], ['taskset', 'util-linux']].filter(([command]) => !has(command));
  if (missing.length === 0) return;
  const packages = missing.map(([, pkg]) => pkg);
  log(`installing Debian packages for the benchmark: ${packages.join(', ')} (apt-get; needs root)`);
  execFileSync('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${packages.join(' ')} >/dev/null`], { stdio: 'inherit' });
}

/** First line a tool prints about its version, wherever it prints it (nginx -v uses stderr). */
function version(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`.split('\n')[0].trim();
}

/** `comparable`: whether a row serves the same answer as the first two, so that ×(a) and ×(b) mean something. */
function table(contenders: ContenderResult[], connections: number[], comparable: (name: string) => boolean = () => true): string[] {
  const lines = [`${'contender'.padEnd(WIDTH)} conns   req/s (min–max)          p50 ms   p99 ms   CPU µs/req  RSS MB   ×(a)   ×(b)`];
  for (const c of contenders) {
    for (const level of c.levels) {
      const ratios = comparable(c.name);
      const direct = ratios ? contenders[0]?.levels.find((l) => l.connections === level.connections)?.median.rps : undefined;
      const bare = ratios ? contenders[1]?.levels.find((l) => l.connections === level.connections)?.median.rps : undefined;
      const m = level.median;
      lines.push([
        c.name.padEnd(WIDTH), String(level.connections).padStart(5), `${String(Math.round(m.rps)).padStart(8)} (${Math.round(level.min)}–${Math.round(level.max)})`.padEnd(25),
        m.p50Ms.toFixed(3).padStart(7), m.p99Ms.toFixed(3).padStart(8), String(m.cpuUsPerRequest).padStart(11), String(c.peakRssMb).padStart(7),
        direct ? (m.rps / direct).toFixed(2).padStart(6) : '     -', bare ? (m.rps / bare).toFixed(2).padStart(6) : '     -',
      ].join(' '));
    }
  }
  void connections;
  return lines;
}

/** The 200 KB answer with shadow against without, at each connection count both were measured at. */
/** CPU per request of the 2-worker cluster against one process, same rules, same core, per load level. */
function workerLines(contenders: ContenderResult[]): string[] {
  const one = contenders.find((c) => c.name === 'strangler 25% split');
  const two = contenders.find((c) => c.name === 'strangler 25% split, 2 workers');
  if (one === undefined || two === undefined) return [];
  const levels = two.levels.map((level) => {
    const single = one.levels.find((l) => l.connections === level.connections)?.median.cpuUsPerRequest;
    return `c=${level.connections} ${single ? (level.median.cpuUsPerRequest / single).toFixed(2) : '-'}×`;
  });
  return [`\nWorkers: CPU µs/request of 2 workers (primary + workers, one core) over 1 process: ${levels.join(', ')}`];
}

function bigAnswerLines(contenders: ContenderResult[]): string[] {
  const [plain, shadowed] = BIG_ANSWER_CONTENDERS.map((name) => contenders.find((c) => c.name === name));
  if (!plain || !shadowed) return [];
  return plain.levels.flatMap((level) => {
    const other = shadowed.levels.find((l) => l.connections === level.connections)?.median;
    if (!other) return [];
    const m = level.median;
    return [`200 KB answer, ${level.connections} conn.: shadow 10 % vs none: ${(other.rps / m.rps).toFixed(2)}× req/s, p50 ${(other.p50Ms / m.p50Ms).toFixed(2)}×, p99 ${(other.p99Ms / m.p99Ms).toFixed(2)}× (${m.p99Ms.toFixed(3)} → ${other.p99Ms.toFixed(3)} ms)`];
  });
}

function bigBodiesTable(rows: BigBodiesResult[]): string[] {
  const cell = (t: { ok: number; failed: number; ms: number }): string => `${t.ok}/${t.ok + t.failed} ok in ${t.ms} ms`.padEnd(22);
  return [
    `${'process'.padEnd(WIDTH)} peak RSS MB  1 MiB downloads         1 MiB uploads`,
    ...rows.map((r) => `${r.name.padEnd(WIDTH)} ${String(r.peakRssMb).padStart(11)}  ${cell(r.downloads)}  ${cell(r.uploads)}`.trimEnd()),
  ];
}

/** The tracer alone, in fresh processes on the load core: steadier than the HTTP rows on a busy machine. */
async function runTracingAlone(quick: boolean, log: (line: string) => void): Promise<TracingAloneResult> {
  const result = await benchTracingAlone(quick ? 20_000 : 100_000, LOAD_CORE);
  log(`\nTracing alone (the tracer as the handler drives it for one answered request, spans exported in batches to a local sink): ` +
    `${result.usPerRequest1Percent} µs CPU/request at 1 %, ${result.usPerRequest100Percent} at 100 %, so ${result.usPerSpan} µs per span`);
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, only: { type: 'string' } }, strict: true });
  const quick = Boolean(values.quick);
  const sections = ['overload', 'tracing', 'split', 'shadow', 'workers'];
  if (values.only !== undefined && !sections.includes(values.only)) throw new Error(`--only takes one of ${sections.map((s) => `"${s}"`).join(', ')}, got "${values.only}"`);
  const log = (line: string): void => console.log(line);
  ensureTools(log);
  // The load side (this script, wrk, the upstream) on core 1; each proxy alone on core 0.
  execFileSync('taskset', ['-a', '-p', '-c', String(LOAD_CORE), String(process.pid)], { stdio: 'ignore' });
  const options = quick ? { connections: [50, 1], runs: 1, seconds: 1 } : { connections: [1, 50, 200], runs: 3, seconds: 5 };
  const machine = {
    cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version,
    kernel: `${os.platform()} ${os.release()}`, nginx: version('nginx', ['-v']), wrk: version('wrk', ['-v']),
  };
  log(`Pinning: each proxy on core ${PROXY_CORE}; wrk, the upstream and this script on core ${LOAD_CORE}.`);
  if (machine.cpus <= 2) log('Note: on a 2-core machine the load generator shares a core with the upstream; every contender gets the same pinning, so compare ratios, not absolute figures.');
  log(`Load: wrk -t1, ${options.connections.join('/')} connections, ${options.seconds} s × ${options.runs} run(s), a random x-user-id per request; GET ${ITEMS_PATH}, ~2 KB JSON (the "200 KB answer" rows: GET ${BIG_ANSWER_PATH}, ~200 KB JSON, 1 and 50 connections only).\n`);

  const overloadSeconds = quick ? 3 : 6;
  const runOverload = async (): Promise<OverloadResult> => {
    log(`\nOverload: an upstream serving ${4} at a time, 25 ms each (160/s); an open-loop flood at 10× on one route for ${overloadSeconds} s while a critical route sends 10 orders/s; max_queue 1 s`);
    const result = await runOverloadBench(overloadSeconds, log);
    for (const line of overloadLines(result)) log(line);
    return result;
  };
  if (values.only === 'overload') {
    const overload = await runOverload();
    writeResults({ at: new Date().toISOString(), quick, machine, pinning: { proxy: PROXY_CORE, load: LOAD_CORE }, overload }, machine, log);
    return;
  }
  if (values.only === 'split') {
    const contenders = await runSplitBench(options, log);
    log('\n25 % split with admission control and without (overload: false), median of runs');
    for (const line of table(contenders, options.connections)) log(line);
    writeResults({ at: new Date().toISOString(), quick, machine, pinning: { proxy: PROXY_CORE, load: LOAD_CORE }, options, split: contenders }, machine, log);
    return;
  }
  if (values.only === 'shadow') {
    const shadow = await runShadowBench(options, log);
    log('\nShadow cost, median of runs');
    for (const line of table(shadow.contenders, options.connections)) log(line);
    for (const line of shadowLines(shadow.contenders)) log(line);
    writeResults({ at: new Date().toISOString(), quick, machine, pinning: { proxy: PROXY_CORE, load: LOAD_CORE }, options, shadow: shadow.contenders, capacity: shadow.capacity }, machine, log);
    return;
  }
  if (values.only === 'workers') {
    const workers = await runWorkersBench(options, log);
    for (const line of table(workers, options.connections)) log(line);
    writeResults({ at: new Date().toISOString(), quick, machine, pinning: { proxy: PROXY_CORE, load: LOAD_CORE }, options, workers }, machine, log);
    return;
  }
  if (values.only === 'tracing') {
    const { contenders, tracing } = await runTracingBench(options, log);
    for (const line of table(contenders, options.connections)) log(line);
    for (const line of tracingCostLines(tracing)) log(line);
    const tracingAlone = await runTracingAlone(quick, log);
    writeResults({ at: new Date().toISOString(), quick, machine, pinning: { proxy: PROXY_CORE, load: LOAD_CORE }, http: { contenders, tracing }, tracingAlone }, machine, log);
    return;
  }
  const http = await runHttpBench(options, log);
  log('\nHTTP, median of runs (×(a): share of the upstream-direct rate; ×(b): share of bare http-proxy)');
  for (const line of table(http.contenders, options.connections, (name) => !(BIG_ANSWER_CONTENDERS as readonly string[]).includes(name))) log(line);
  for (const line of bigAnswerLines(http.contenders)) log(line);
  for (const line of workerLines(http.contenders)) log(line);
  for (const line of tracingCostLines(http.tracing)) log(line);
  log(`\nShadow: shopper-facing figures at 50 connections, shadow at 100% to a side that sleeps 500 ms, vs none (dropped copies: ${http.shadowDropped})`);
  for (const line of table(http.shadow, [50])) log(line);

  log(`\nBig bodies: peak RSS (VmHWM) of each process over ${SEQUENTIAL} sequential then ${CONCURRENT} concurrent 1 MiB downloads, then the same of 1 MiB uploads`);
  const bigBodies = await runBigBodies(log);
  for (const line of bigBodiesTable(bigBodies)) log(line);

  const decisions: DecisionResult[] = [];
  for (const kind of ['exact', 'pattern', 'segment'] as const) for (const size of [1, 16, 256, 1000, 4096]) decisions.push(benchDecision(size, kind, quick ? 50_000 : 400_000));
  log('\nRouting decision alone (decide(): match + identity + bucket), last route of the table');
  log('kind     routes   ns/decision');
  for (const d of decisions) log(`${d.kind.padEnd(8)} ${String(d.routes).padStart(6)}   ${String(d.nsPerDecision).padStart(11)}`);

  const gate = benchGate(quick ? 200_000 : 2_000_000);
  log(`\nAdmission control alone, nothing overloaded (a slot taken and given back with a latency sample): ${gate.nsPerRequest} ns/request`);

  const tracingAlone = await runTracingAlone(quick, log);

  // On the shadow worker thread, per sampled read; these run on this process's core, not the proxy's.
  const comparisons = benchComparisons(quick ? 5 : 40);
  log('\nShadow comparison alone (decode, parse, diff; legacy asked twice, its second answer the same bytes), ~200 KB answers');
  for (const line of comparisonLines(comparisons)) log(line);

  log('\nShadow capacity: one shadow worker thread, noisy ~200 KB pages (a CSRF token and a render id differ every time)');
  const capacity = await runCapacity(options.seconds, log);

  const overload = await runOverload();
  writeResults({ at: new Date().toISOString(), quick, machine, pinning: { proxy: PROXY_CORE, load: LOAD_CORE }, options, http, overload, bigBodies, decisions, gate, tracingAlone, comparisons, capacity }, machine, log);
}

function writeResults(results: Record<string, unknown>, machine: { cpus: number; model?: string; memoryGiB: number; node: string; nginx: string }, log: (line: string) => void): void {
  const dir = path.join(repoRoot(), 'bench-results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(results, null, 2));
  log(`\nmachine: ${machine.cpus} cores, ${machine.model}, ${machine.memoryGiB} GiB, node ${machine.node}, ${machine.nginx}\nwritten: ${path.relative(process.cwd(), file)}`);
}

main().catch((error: Error) => { console.error(`bench: ${error.message}`); process.exit(1); });
