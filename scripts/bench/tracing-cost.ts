import { benchRules, startStrangler } from './contenders';
import type { ContenderResult, ContenderStart } from './contender-types';

/** The split with tracing on at 1 % (parent-based trace-id ratio), exporting OTLP to a local sink. */
export const TRACING_CONTENDER = 'strangler 25% split, tracing 1%';
/** The same at 100 %: every request's spans built and exported, for the cost of one span. */
export const TRACING_ALL_CONTENDER = 'strangler 25% split, tracing 100%';
const SPLIT = 'strangler 25% split';

/** Spans the 100 % contender's processes produced and requests they answered, over all rounds. */
export interface SpanTally { spans: number; requests: number }

function sum(metrics: string, pattern: RegExp): number {
  let total = 0;
  for (const match of metrics.matchAll(pattern)) total += Number(match[1]);
  return total;
}

/**
 * The 25 % split with tracing at `ratio`, exporting to the sink. With a tally, each process's
 * spans (exported or dropped) and requests are read from its /metrics before it stops; spans
 * still waiting in its export queue then are not counted (a few thousand in a run of 100,000s).
 */
export function tracedSplit(core: number, upstreamUrl: string, sinkUrl: string, ratio: '0.01' | '1', tally?: SpanTally): ContenderStart {
  const name = ratio === '1' ? TRACING_ALL_CONTENDER : TRACING_CONTENDER;
  return {
    name,
    start: async () => {
      const proxy = await startStrangler(core, name, benchRules(upstreamUrl, upstreamUrl, { percent: 25 }), async () => ({
        OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: ratio,
      }));
      if (tally === undefined) return proxy;
      return {
        ...proxy,
        stop: async () => {
          try {
            const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
            tally.spans += sum(metrics, /^strangler_trace_spans_(?:exported|dropped)_total (\d+)$/gm);
            tally.requests += sum(metrics, /^strangler_requests_total\{[^}]*\} (\d+)$/gm);
          } finally {
            await proxy.stop(); // stopped even when its metrics could not be read
          }
        },
      };
    },
  };
}

/** What tracing cost at one load level, against the split measured in the same run. */
export interface TracingCostLevel {
  readonly connections: number;
  /** req/s of the 1 % contender over the split's (the contract: >= 0.95). */
  readonly rpsRatio1Percent: number;
  /** req/s of the 100 % contender over the split's. */
  readonly rpsRatio100Percent: number;
  /** Proxy CPU µs per request added by tracing at 1 %. */
  readonly cpuUsPerRequest1Percent: number;
  /** Proxy CPU µs per request added at 100 %, divided by the spans each request made. */
  readonly cpuUsPerSpan: number;
}

export interface TracingCost { readonly spansPerRequest: number; readonly levels: TracingCostLevel[] }

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** The tracing figures from the contenders' medians; null when one of the three is missing. */
export function tracingCost(contenders: ContenderResult[], tally: SpanTally): TracingCost | null {
  const [split, one, all] = [SPLIT, TRACING_CONTENDER, TRACING_ALL_CONTENDER].map((name) => contenders.find((c) => c.name === name));
  if (split === undefined || one === undefined || all === undefined || tally.requests === 0) return null;
  const spansPerRequest = Math.round((tally.spans / tally.requests) * 100) / 100;
  const levels = split.levels.flatMap((level): TracingCostLevel[] => {
    const at = (c: ContenderResult) => c.levels.find((l) => l.connections === level.connections)?.median;
    const [base, m1, m100] = [level.median, at(one), at(all)];
    if (m1 === undefined || m100 === undefined) return [];
    return [{
      connections: level.connections,
      rpsRatio1Percent: Math.round((m1.rps / base.rps) * 100) / 100,
      rpsRatio100Percent: Math.round((m100.rps / base.rps) * 100) / 100,
      cpuUsPerRequest1Percent: round1(m1.cpuUsPerRequest - base.cpuUsPerRequest),
      cpuUsPerSpan: spansPerRequest > 0 ? round1((m100.cpuUsPerRequest - base.cpuUsPerRequest) / spansPerRequest) : NaN,
    }];
  });
  return { spansPerRequest, levels };
}

const signed = (n: number): string => (n >= 0 ? `+${n}` : `${n}`);

export function tracingCostLines(cost: TracingCost | null): string[] {
  if (cost === null) return [];
  return [
    `\nTracing against the split in the same run (${cost.spansPerRequest} spans per request at 100 %: server + client):`,
    ...cost.levels.map((l) => `  c=${String(l.connections).padEnd(4)} 1 %: ${l.rpsRatio1Percent.toFixed(2)}× req/s, ${signed(l.cpuUsPerRequest1Percent)} µs CPU/request   100 %: ${l.rpsRatio100Percent.toFixed(2)}× req/s, ${l.cpuUsPerSpan} µs CPU per span`),
  ];
}
