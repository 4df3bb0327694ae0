import { TrafficCounters } from '../observability/traffic-counters';
import { LATENCY_BOUNDS_MS, latencyBucket, quantileMs } from '../../shadow/store/traffic';

test('counters split at minute boundaries and start from zero after each take', () => {
  const counters = new TrafficCounters();
  const minute = 1_700_000_040_000; // a multiple of 60 000
  counters.observe('r', 'extracted', false, false, 2, minute + 59_999);
  counters.observe('r', 'extracted', true, true, 40, minute + 60_000);
  counters.observe('r', 'legacy', false, false, 1, minute + 60_001);
  const taken = counters.take();
  expect(taken.map((d) => [d.minute - minute, d.backend, d.requests, d.failures, d.fallbacks, d.latencyMsSum])).toEqual([
    [0, 'extracted', 1, 0, 0, 2],
    [60_000, 'legacy', 1, 0, 0, 1],
    [60_000, 'extracted', 1, 1, 1, 40],
  ]);
  expect(counters.take()).toEqual([]);
  counters.observe('r', 'legacy', false, false, 1, minute + 60_002);
  expect(counters.take().map((d) => d.requests)).toEqual([1]);
});

test('latency buckets and quantiles', () => {
  expect(latencyBucket(0)).toBe(0);
  expect(LATENCY_BOUNDS_MS[latencyBucket(1)]).toBe(1);
  expect(LATENCY_BOUNDS_MS[latencyBucket(1.01)]).toBe(1.5);
  expect(latencyBucket(1e9)).toBe(LATENCY_BOUNDS_MS.length - 1);
  const counts = new Array<number>(LATENCY_BOUNDS_MS.length).fill(0);
  expect(quantileMs(counts, 0.95)).toBeNull();
  counts[latencyBucket(3)] = 95; // 95 answers in (2, 3] ms
  counts[latencyBucket(200)] = 5; // 5 in (150, 200] ms
  expect(quantileMs(counts, 0.5)).toBeCloseTo(2 + 50 / 95, 5);
  expect(quantileMs(counts, 0.95)).toBe(3);
  expect(quantileMs(counts, 0.99)).toBeCloseTo(150 + 50 * (4 / 5), 5);
});
