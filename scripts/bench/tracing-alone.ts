/**
 * Tracing alone: the proxy's tracer driven as the handler drives it for one request that is
 * answered (server span, one attempt's client span, its outcome, the end), with spans exported
 * in batches to a local OTLP sink. CPU per request at 1 % and at 100 % sampling; at 100 % each
 * request makes 2 spans, so half of it is the cost of one span, export included. Steadier than the
 * HTTP contenders on a busy machine: no socket, no other process. Each ratio runs in a fresh node
 * (the SDK reads its sampler from the environment once): node dist/scripts/bench/tracing-alone.js ITERATIONS
 */
import { execFile } from 'node:child_process';
import type http from 'node:http';
import { createSdkTracer } from '../../proxy/tracing/sdk-tracer';
import type { ProxyTracer } from '../../proxy/tracing/types';
import type { Upstream } from '../../proxy/rules/types';
import type { ForwardOutcome } from '../../proxy/forward/upstream-response';
import { startOtlpSink } from './otlp-sink';

export interface TracingAloneResult {
  /** Tracer CPU µs per request at `parentbased_traceidratio` 0.01 (99 % not sampled). */
  readonly usPerRequest1Percent: number;
  /** Tracer CPU µs per request at 1.0. */
  readonly usPerRequest100Percent: number;
  /** usPerRequest100Percent / 2 (a server and a client span per request). */
  readonly usPerSpan: number;
  readonly iterations: number;
}

const SPANS_PER_REQUEST = 2;

/** One ratio in a child process: its best of 3 timed loops, CPU µs per request. */
function runChild(ratio: string, iterations: number, sinkUrl: string, core: number): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('taskset', ['-c', String(core), process.execPath, __filename, String(iterations)], {
      env: { ...process.env, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: ratio, TRACES_URL: `${sinkUrl}/v1/traces` },
      timeout: 120_000,
    }, (error, stdout, stderr) => {
      if (error) { reject(new Error(`tracing-alone (ratio ${ratio}) failed: ${error.message}${stderr}`)); return; }
      resolve(Number(stdout.trim()));
    });
  });
}

export async function benchTracingAlone(iterations: number, core: number): Promise<TracingAloneResult> {
  const sink = await startOtlpSink();
  try {
    const one = await runChild('0.01', iterations, sink.url, core);
    const all = await runChild('1', iterations, sink.url, core);
    return { usPerRequest1Percent: one, usPerRequest100Percent: all, usPerSpan: Math.round((all / SPANS_PER_REQUEST) * 100) / 100, iterations };
  } finally {
    await sink.stop();
  }
}

/** Waits (idle, not spinning) until at most one batch of spans is still unexported; 1 s at most. */
async function caughtUp(tracer: ProxyTracer, spans: number): Promise<void> {
  const until = Date.now() + 1000;
  for (;;) {
    const { exported, dropped } = tracer.status();
    if (spans - exported - dropped <= 512 || Date.now() > until) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function timedLoops(iterations: number): Promise<number> {
  const tracer = createSdkTracer({ tracesUrl: process.env.TRACES_URL!, protocol: 'http/protobuf', sampler: 'bench' }, () => undefined);
  const req = { method: 'GET', url: '/api/items/1?page=2', headers: { host: 'shop.example', 'x-user-id': '42' } } as unknown as http.IncomingMessage;
  const upstream: Upstream = { name: 'legacy', url: 'http://127.0.0.1:8080' } as Upstream;
  const outcome = { ok: true, response: { status: 200 } } as unknown as ForwardOutcome;
  const end = { method: 'GET', target: req.url!, routePath: '/api/items/:id', route: 'items', backend: 'legacy', reason: 'percent', status: 200, code: null };
  let best = Infinity;
  let spans = 0;
  for (let round = 0; round < 4; round++) {
    const before = process.cpuUsage();
    for (let i = 0; i < iterations; i++) {
      const trace = tracer.startRequest(req);
      if (typeof trace !== 'string') {
        trace.beginAttempt(upstream, 'first');
        trace.attemptOutcome(outcome);
        trace.finish(end);
        spans += SPANS_PER_REQUEST;
      }
      // Let the batch processor export what it holds, as it would between requests (its CPU is
      // counted): a loop faster than the export would have its spans dropped, and cost less.
      if (i % 256 === 255) await caughtUp(tracer, spans);
    }
    const used = process.cpuUsage(before);
    if (round > 0) best = Math.min(best, (used.user + used.system) / iterations); // round 0 warms the JIT
  }
  await tracer.shutdown();
  return Math.round(best * 100) / 100;
}

if (require.main === module) {
  timedLoops(Number(process.argv[2] ?? 100_000)).then((us) => process.stdout.write(`${us}\n`), (error: Error) => { console.error(error); process.exit(1); });
}
