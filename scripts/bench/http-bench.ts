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

/** Loads one contender at each connection count, `runs` times, measuring its CPU from /proc. */
export async function measure(contender: Running, options: HttpBenchOptions, log: (line: string) => void): Promise<ContenderResult> {
  const script = identityScript();
  const url = `${contender.url}/api/items`;
  await runWrk(url, 50, 1, LOAD_CORE, script); // warm-up: JIT, pools
  const levels: LevelResult[] = [];
  for (const connections of options.connections) {
    const runs: RunStats[] = [];
    for (let i = 0; i < options.runs; i++) {
      const before = cpuSeconds(contender.pids());
      const result = await runWrk(url, connections, options.seconds, LOAD_CORE, script);
      const cpu = cpuSeconds(contender.pids()) - before;
      runs.push({ ...result, cpuUsPerRequest: result.requests > 0 ? Math.round((cpu / result.requests) * 1e6 * 10) / 10 : NaN });
    }
    const m = median(runs);
    levels.push({ connections, runs, median: m, min: Math.min(...runs.map((r) => r.rps)), max: Math.max(...runs.map((r) => r.rps)) });
    log(`  ${contender.name.padEnd(34)} c=${String(connections).padEnd(4)} ${Math.round(m.rps)} req/s  p50 ${m.p50Ms.toFixed(3)} ms  p99 ${m.p99Ms.toFixed(3)} ms  ${m.cpuUsPerRequest} µs CPU/req`);
  }
  return { name: contender.name, levels, peakRssMb: peakRssMb(contender.pids()) };
}

/** Every contender, one after another, under the same load and pinning. */
export async function runHttpBench(options: HttpBenchOptions, log: (line: string) => void): Promise<{ contenders: ContenderResult[]; shadow: ContenderResult[]; shadowDropped: number }> {
  const upstream = await startUpstream(LOAD_CORE);
  const contenders: ContenderResult[] = [];
  const run = async (start: () => Promise<Running>): Promise<void> => {
    const running = await start();
    try { contenders.push(await measure(running, options, log)); } finally { await running.stop(); }
  };
  try {
    contenders.push(await measure({ ...upstream, name: '(a) upstream direct' }, options, log));
    await run(async () => ({ ...(await startBareProxy(PROXY_CORE, upstream.url)), name: '(b) bare http-proxy' }));
    await run(async () => ({ ...(await startNginx(PROXY_CORE, Number(new URL(upstream.url).port), Number(new URL(upstream.url).port))), name: '(c) nginx split_clients 25%' }));
    await run(() => startStrangler(PROXY_CORE, 'strangler 0%', benchRules(upstream.url, upstream.url, { percent: 0 })));
    await run(() => startStrangler(PROXY_CORE, 'strangler 25% split', benchRules(upstream.url, upstream.url, { percent: 25 })));
    await run(() => startStrangler(PROXY_CORE, 'strangler 25% + shadow 10%', benchRules(upstream.url, upstream.url, { percent: 25, shadow: 10 })));
    await run(() => startStrangler(PROXY_CORE, 'strangler 25%, 1,000 routes (last)', benchRules(upstream.url, upstream.url, { percent: 25, routes: 1000 })));

    // Shadow at 100% to a side that sleeps 500 ms, against no shadow, in the same run.
    const sleepy = await startUpstream(LOAD_CORE, 500);
    const shadow: ContenderResult[] = [];
    let shadowDropped = 0;
    const shadowOptions = { ...options, connections: [50] };
    for (const [name, rules] of [
      ['no shadow', benchRules(upstream.url, sleepy.url, { percent: 0 })],
      ['shadow 100% → side sleeping 500 ms', benchRules(upstream.url, sleepy.url, { percent: 0, shadow: 100 })],
    ] as const) {
      const proxy = await startStrangler(PROXY_CORE, name, rules);
      try {
        shadow.push(await measure(proxy, shadowOptions, log));
        if (proxy.adminUrl && name !== 'no shadow') {
          const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
          shadowDropped = Number(/strangler_shadow_requests_total\{route="r0",outcome="dropped"\} (\d+)/.exec(metrics)?.[1] ?? 0);
        }
      } finally {
        await proxy.stop();
      }
    }
    await sleepy.stop();
    return { contenders, shadow, shadowDropped };
  } finally {
    await upstream.stop();
  }
}
