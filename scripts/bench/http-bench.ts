import { BIG_ANSWER_PATH, ITEMS_PATH } from './bench-paths';
import { startOtlpSink } from './otlp-sink';
import { tracedSplit, tracingCost, type SpanTally, type TracingCost } from './tracing-cost';
import { benchRules, flagFromBackup, startBareProxy, startNginx, startStrangler, startUndiciForwarder, startUpstream, type Running } from './contenders';
import type { ContenderResult, ContenderStart, HttpBenchOptions, LevelResult, RunStats } from './contender-types';
import { cpuSeconds, peakRssMb } from './procstat';
import { identityScript, runWrk } from './wrk';

export type { ContenderResult, ContenderStart, HttpBenchOptions, LevelResult, RunStats } from './contender-types';

export const PROXY_CORE = 0;
export const LOAD_CORE = 1;

/** The contenders that fetch the ~200 KB answer (BIG_ANSWER_PATH) instead of the ~2 KB one. */
export const BIG_ANSWER_CONTENDERS = ['strangler 25%, 200 KB answer', 'strangler 25% + shadow 10%, 200 KB answer'] as const;


function median(runs: RunStats[]): RunStats {
  return [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)];
}

/** One wrk run against one contender, with its CPU from /proc over the run. */
async function oneRun(contender: Running, path: string, connections: number, seconds: number, script: string): Promise<RunStats> {
  const before = cpuSeconds(contender.pids());
  const result = await runWrk(`${contender.url}${path}`, connections, seconds, LOAD_CORE, script);
  const cpu = cpuSeconds(contender.pids()) - before;
  return { ...result, cpuUsPerRequest: result.requests > 0 ? Math.round((cpu / result.requests) * 1e6 * 10) / 10 : NaN };
}


function measuredAt(contender: ContenderStart, connections: number): boolean {
  return contender.connections === undefined || contender.connections.includes(connections);
}

/**
 * Loads every contender at each connection count, in `runs` rounds. Each round starts every
 * contender afresh, then loads them interleaved (all at 1 connection, then all at 50, ...), then
 * stops them. Two kinds of noise are met this way: noise that drifts over minutes on a shared
 * machine lands on every contender alike instead of on one contender's every run; and a Node
 * process keeps the speed it settles into at start (the same proxy measured 87 µs/request in one
 * process and 97 in another, steadily, in one bench run), so the median is taken over processes,
 * not over one process's runs. Idle contenders wait on the same core, unloaded.
 */
export async function measureInterleaved(contenders: ContenderStart[], options: HttpBenchOptions, log: (line: string) => void): Promise<ContenderResult[]> {
  const script = identityScript();
  const runs: RunStats[][][] = contenders.map(() => options.connections.map(() => []));
  const peakRss = contenders.map(() => 0);
  for (let round = 0; round < options.runs; round++) {
    const running = await startAll(contenders.map((c) => async () => ({ ...(await c.start()), name: c.name })));
    try {
      for (const [c, contender] of running.entries()) await runWrk(`${contender.url}${contenders[c].path ?? ITEMS_PATH}`, 50, 1, LOAD_CORE, script); // warm-up: JIT, pools
      for (const [level, connections] of options.connections.entries()) {
        for (const [c, contender] of running.entries()) {
          if (measuredAt(contenders[c], connections)) runs[c][level].push(await oneRun(contender, contenders[c].path ?? ITEMS_PATH, connections, options.seconds, script));
        }
      }
      for (const [c, contender] of running.entries()) peakRss[c] = Math.max(peakRss[c], peakRssMb(contender.pids()));
    } finally {
      await Promise.all(running.map((r) => r.stop()));
    }
  }
  return contenders.map((contender, c) => {
    const levels = options.connections.flatMap((connections, level): LevelResult[] => {
      if (!measuredAt(contender, connections)) return [];
      const all = runs[c][level];
      const m = median(all);
      log(`  ${contender.name.padEnd(41)} c=${String(connections).padEnd(4)} ${Math.round(m.rps)} req/s  p50 ${m.p50Ms.toFixed(3)} ms  p99 ${m.p99Ms.toFixed(3)} ms  ${m.cpuUsPerRequest} µs CPU/req`);
      return [{ connections, runs: all, median: m, min: Math.min(...all.map((r) => r.rps)), max: Math.max(...all.map((r) => r.rps)) }];
    });
    return { name: contender.name, levels, peakRssMb: peakRss[c] };
  });
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

/** `--only tracing`: the 25 % split and the same with tracing at 1 % and at 100 %, interleaved. */
export async function runTracingBench(options: HttpBenchOptions, log: (line: string) => void): Promise<{ contenders: ContenderResult[]; tracing: TracingCost | null }> {
  const upstream = await startUpstream(LOAD_CORE);
  const sink = await startOtlpSink();
  const tally: SpanTally = { spans: 0, requests: 0 };
  try {
    const contenders = await measureInterleaved([
      { name: 'strangler 25% split', start: () => startStrangler(PROXY_CORE, 'strangler 25% split', benchRules(upstream.url, upstream.url, { percent: 25 })) },
      tracedSplit(PROXY_CORE, upstream.url, sink.url, '0.01'),
      tracedSplit(PROXY_CORE, upstream.url, sink.url, '1', tally),
    ], options, log);
    return { contenders, tracing: tracingCost(contenders, tally) };
  } finally {
    await sink.stop();
    await upstream.stop();
  }
}

/** `--only split`: the 25 % split with admission control and without, interleaved (its cost when nothing is overloaded). */
export async function runSplitBench(options: HttpBenchOptions, log: (line: string) => void): Promise<ContenderResult[]> {
  const upstream = await startUpstream(LOAD_CORE);
  try {
    return await measureInterleaved([
      { name: 'strangler 25% split', start: () => startStrangler(PROXY_CORE, 'strangler 25% split', benchRules(upstream.url, upstream.url, { percent: 25 })) },
      { name: 'strangler 25% split, overload: false', start: () => startStrangler(PROXY_CORE, 'strangler 25% split, overload: false', benchRules(upstream.url, upstream.url, { percent: 25, overload: false })) },
    ], options, log);
  } finally {
    await upstream.stop();
  }
}

/** Every contender under the same load and pinning, runs interleaved. */
export async function runHttpBench(options: HttpBenchOptions, log: (line: string) => void): Promise<{ contenders: ContenderResult[]; shadow: ContenderResult[]; shadowDropped: number; tracing: TracingCost | null }> {
  const upstream = await startUpstream(LOAD_CORE);
  const upstreamPort = Number(new URL(upstream.url).port);
  const sink = await startOtlpSink();
  const tally: SpanTally = { spans: 0, requests: 0 };
  try {
    const strangler = (name: string, rules: string): ContenderStart => ({ name, start: () => startStrangler(PROXY_CORE, name, rules) });
    const contenders = await measureInterleaved([
      // The upstream serves every contender, so it stays up; "stopping" it between rounds is a no-op.
      { name: '(a) upstream direct', start: async () => ({ ...upstream, stop: async () => undefined }) },
      { name: '(b) bare http-proxy', start: () => startBareProxy(PROXY_CORE, upstream.url) },
      { name: '(c) nginx split_clients 25%', start: () => startNginx(PROXY_CORE, upstreamPort, upstreamPort) },
      { name: '(d) minimal undici forwarder', start: () => startUndiciForwarder(PROXY_CORE, upstream.url) },
      strangler('strangler 0%', benchRules(upstream.url, upstream.url, { percent: 0 })),
      strangler('strangler 25% split', benchRules(upstream.url, upstream.url, { percent: 25 })),
      // What tracing costs a shopper at a production-like sampling rate (DESIGN: >= 0.95x the split).
      tracedSplit(PROXY_CORE, upstream.url, sink.url, '0.01'),
      // Every request traced: the cost of one span (printed and written as `tracing`).
      tracedSplit(PROXY_CORE, upstream.url, sink.url, '1', tally),
      // Admission control's cost when nothing is overloaded: the same split with it turned off.
      strangler('strangler 25% split, overload: false', benchRules(upstream.url, upstream.url, { percent: 25, overload: false })),
      strangler('strangler 25% + shadow 10%', benchRules(upstream.url, upstream.url, { percent: 25, shadow: 10 })),
      // node:cluster: a primary and two workers, all pinned to the proxy's one core, so CPU µs/req
      // shows what the workers cost on top of one process (the primary's accept and hand-off).
      { name: 'strangler 25% split, 2 workers', start: () => startStrangler(PROXY_CORE, 'strangler 25% split, 2 workers', benchRules(upstream.url, upstream.url, { percent: 25 }), async () => ({ STRANGLER_WORKERS: '2' })) },
      strangler('strangler 25%, 1,000 routes (last)', benchRules(upstream.url, upstream.url, { percent: 25, routes: 1000 })),
      // The Unleash SDK's own evaluation on every request (flag state from its backup file).
      // Plain flexibleRollout with the route's group as groupId: the proxy's bucket is Unleash's answer.
      { name: 'strangler 25% by Unleash flag', start: () => startStrangler(PROXY_CORE, 'strangler 25% by Unleash flag', benchRules(upstream.url, upstream.url, { percent: 0, flag: true }), flagFromBackup(25)) },
      // A constrained flag: unleash-client's isEnabled with the request's context on every request.
      { name: 'strangler 25% by Unleash flag, constrained', start: () => startStrangler(PROXY_CORE, 'strangler 25% by Unleash flag, constrained', benchRules(upstream.url, upstream.url, { percent: 0, flag: true }), flagFromBackup(25, true)) },
      // Does comparing big answers show in the shopper's p99? Measured at 1 and 50 connections only.
      { ...strangler(BIG_ANSWER_CONTENDERS[0], benchRules(upstream.url, upstream.url, { percent: 25, path: BIG_ANSWER_PATH })), path: BIG_ANSWER_PATH, connections: [1, 50] },
      { ...strangler(BIG_ANSWER_CONTENDERS[1], benchRules(upstream.url, upstream.url, { percent: 25, shadow: 10, path: BIG_ANSWER_PATH })), path: BIG_ANSWER_PATH, connections: [1, 50] },
    ], options, log);

    // Shadow at 100% to a side that sleeps 500 ms, against no shadow, in the same run.
    const sleepy = await startUpstream(LOAD_CORE, 500);
    let shadowDropped = 0;
    try {
      const withShadow = strangler('shadow 100% → side sleeping 500 ms', benchRules(upstream.url, sleepy.url, { percent: 0, shadow: 100 }));
      const shadow = await measureInterleaved([
        strangler('no shadow', benchRules(upstream.url, sleepy.url, { percent: 0 })),
        {
          name: withShadow.name,
          // Copies dropped over all rounds, read from each process's metrics before it stops.
          start: async () => {
            const proxy = await withShadow.start();
            return {
              ...proxy,
              stop: async () => {
                try {
                  const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
                  shadowDropped += Number(/strangler_shadow_requests_total\{route="r0",outcome="dropped"\} (\d+)/.exec(metrics)?.[1] ?? 0);
                } finally {
                  await proxy.stop(); // stopped even when its metrics could not be read
                }
              },
            };
          },
        },
      ], { ...options, connections: [50] }, log);
      return { contenders, shadow, shadowDropped, tracing: tracingCost(contenders, tally) };
    } finally {
      await sleepy.stop();
    }
  } finally {
    await sink.stop();
    await upstream.stop();
  }
}
