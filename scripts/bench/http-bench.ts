import { benchRules, startBareProxy, startNginx, startStrangler, startUpstream, type Running } from './contenders';
import { cpuSeconds, peakRssMb } from './procstat';
import { identityScript, runWrk, type WrkResult } from './wrk';

export const PROXY_CORE = 0;
export const LOAD_CORE = 1;

export interface RunStats extends WrkResult { cpuUsPerRequest: number }
export interface LevelResult { connections: number; runs: RunStats[]; median: RunStats; min: number; max: number }
export interface ContenderResult { name: string; levels: LevelResult[]; peakRssMb: number }

export interface HttpBenchOptions { connections: number[]; runs: number; seconds: number }

function median(runs: RunStats[]): RunStats {
  return [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)];
}

/** One wrk run against one contender, with its CPU from /proc over the run. */
async function oneRun(contender: Running, connections: number, seconds: number, script: string): Promise<RunStats> {
  const before = cpuSeconds(contender.pids());
  const result = await runWrk(`${contender.url}/api/items`, connections, seconds, LOAD_CORE, script);
  const cpu = cpuSeconds(contender.pids()) - before;
  return { ...result, cpuUsPerRequest: result.requests > 0 ? Math.round((cpu / result.requests) * 1e6 * 10) / 10 : NaN };
}

/**
 * Loads every contender at each connection count, `runs` times, interleaved: run 1 of each
 * contender, then run 2 of each, and so on. On a shared machine the noise drifts over minutes;
 * measured one contender after another, a slow minute lands on one contender's every run, and
 * the same-run ratios moved by ±0.05 between runs of the whole bench. Interleaved, each
 * contender's runs sample the same minutes. Idle contenders wait on the same core, unloaded.
 */
export async function measureInterleaved(contenders: Running[], options: HttpBenchOptions, log: (line: string) => void): Promise<ContenderResult[]> {
  const script = identityScript();
  for (const contender of contenders) await runWrk(`${contender.url}/api/items`, 50, 1, LOAD_CORE, script); // warm-up: JIT, pools
  const levels: LevelResult[][] = contenders.map(() => []);
  for (const connections of options.connections) {
    const runs: RunStats[][] = contenders.map(() => []);
    for (let i = 0; i < options.runs; i++) {
      for (const [c, contender] of contenders.entries()) runs[c].push(await oneRun(contender, connections, options.seconds, script));
    }
    for (const [c, contender] of contenders.entries()) {
      const m = median(runs[c]);
      levels[c].push({ connections, runs: runs[c], median: m, min: Math.min(...runs[c].map((r) => r.rps)), max: Math.max(...runs[c].map((r) => r.rps)) });
      log(`  ${contender.name.padEnd(34)} c=${String(connections).padEnd(4)} ${Math.round(m.rps)} req/s  p50 ${m.p50Ms.toFixed(3)} ms  p99 ${m.p99Ms.toFixed(3)} ms  ${m.cpuUsPerRequest} µs CPU/req`);
    }
  }
  return contenders.map((contender, c) => ({ name: contender.name, levels: levels[c], peakRssMb: peakRssMb(contender.pids()) }));
}

/** Starts contenders one by one; if one fails to start, those already running are stopped. */
async function startAll(starts: (() => Promise<Running>)[]): Promise<Running[]> {
  const running: Running[] = [];
  try {
    for (const start of starts) running.push(await start());
  } catch (error) {
    await Promise.all(running.map((r) => r.stop()));
    throw error;
  }
  return running;
}

/** Every contender under the same load and pinning, runs interleaved. */
export async function runHttpBench(options: HttpBenchOptions, log: (line: string) => void): Promise<{ contenders: ContenderResult[]; shadow: ContenderResult[]; shadowDropped: number }> {
  const upstream = await startUpstream(LOAD_CORE);
  const upstreamPort = Number(new URL(upstream.url).port);
  try {
    const proxies = await startAll([
      async () => ({ ...(await startBareProxy(PROXY_CORE, upstream.url)), name: '(b) bare http-proxy' }),
      async () => ({ ...(await startNginx(PROXY_CORE, upstreamPort, upstreamPort)), name: '(c) nginx split_clients 25%' }),
      () => startStrangler(PROXY_CORE, 'strangler 0%', benchRules(upstream.url, upstream.url, { percent: 0 })),
      () => startStrangler(PROXY_CORE, 'strangler 25% split', benchRules(upstream.url, upstream.url, { percent: 25 })),
      () => startStrangler(PROXY_CORE, 'strangler 25% + shadow 10%', benchRules(upstream.url, upstream.url, { percent: 25, shadow: 10 })),
      () => startStrangler(PROXY_CORE, 'strangler 25%, 1,000 routes (last)', benchRules(upstream.url, upstream.url, { percent: 25, routes: 1000 })),
    ]);
    let contenders: ContenderResult[];
    try {
      contenders = await measureInterleaved([{ ...upstream, name: '(a) upstream direct' }, ...proxies], options, log);
    } finally {
      await Promise.all(proxies.map((p) => p.stop()));
    }

    // Shadow at 100% to a side that sleeps 500 ms, against no shadow, in the same run.
    const sleepy = await startUpstream(LOAD_CORE, 500);
    try {
      const pair = await startAll([
        () => startStrangler(PROXY_CORE, 'no shadow', benchRules(upstream.url, sleepy.url, { percent: 0 })),
        () => startStrangler(PROXY_CORE, 'shadow 100% → side sleeping 500 ms', benchRules(upstream.url, sleepy.url, { percent: 0, shadow: 100 })),
      ]);
      try {
        const shadow = await measureInterleaved(pair, { ...options, connections: [50] }, log);
        const metrics = await (await fetch(`${pair[1].adminUrl}/metrics`)).text();
        const shadowDropped = Number(/strangler_shadow_requests_total\{route="r0",outcome="dropped"\} (\d+)/.exec(metrics)?.[1] ?? 0);
        return { contenders, shadow, shadowDropped };
      } finally {
        await Promise.all(pair.map((p) => p.stop()));
      }
    } finally {
      await sleepy.stop();
    }
  } finally {
    await upstream.stop();
  }
}
