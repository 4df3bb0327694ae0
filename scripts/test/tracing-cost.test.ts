import type { ContenderResult } from '../bench/http-bench';
import { TRACING_ALL_CONTENDER, TRACING_CONTENDER, tracingCost, tracingCostLines } from '../bench/tracing-cost';

function contender(name: string, levels: Array<[number, number, number]>): ContenderResult {
  return {
    name, peakRssMb: 100,
    levels: levels.map(([connections, rps, cpuUsPerRequest]) => {
      const run = { requests: rps * 5, rps, p50Ms: 1, p99Ms: 2, errors: 0, cpuUsPerRequest };
      return { connections, runs: [run], median: run, min: rps, max: rps };
    }),
  };
}

test('the cost of a span is the 100 % contender\'s extra CPU per request over the split\'s, per span', () => {
  const cost = tracingCost([
    contender('strangler 25% split', [[1, 2000, 250], [50, 10000, 90]]),
    contender(TRACING_CONTENDER, [[1, 1900, 252], [50, 9600, 93]]),
    contender(TRACING_ALL_CONTENDER, [[1, 1500, 270], [50, 7000, 120]]),
  ], { spans: 3980, requests: 2000 });
  expect(cost).toEqual({
    spansPerRequest: 1.99,
    levels: [
      { connections: 1, rpsRatio1Percent: 0.95, rpsRatio100Percent: 0.75, cpuUsPerRequest1Percent: 2, cpuUsPerSpan: 10.1 },
      { connections: 50, rpsRatio1Percent: 0.96, rpsRatio100Percent: 0.7, cpuUsPerRequest1Percent: 3, cpuUsPerSpan: 15.1 },
    ],
  });
  expect(tracingCostLines(cost).join('\n')).toContain('c=50   1 %: 0.96× req/s, +3 µs CPU/request   100 %: 0.70× req/s, 15.1 µs CPU per span');
});

test('without the three contenders, or with no request counted, there is no figure', () => {
  const split = contender('strangler 25% split', [[50, 10000, 90]]);
  expect(tracingCost([split, contender(TRACING_CONTENDER, [[50, 9600, 93]])], { spans: 2, requests: 1 })).toBeNull();
  expect(tracingCost([split, contender(TRACING_CONTENDER, [[50, 1, 1]]), contender(TRACING_ALL_CONTENDER, [[50, 1, 1]])], { spans: 0, requests: 0 })).toBeNull();
  expect(tracingCostLines(null)).toEqual([]);
});
