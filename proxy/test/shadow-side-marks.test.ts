/**
 * The conversion guard's marks leave the shoppers' thread every second, even when there is no
 * shadow worker to take them (it failed to start): they are dropped and counted, never kept.
 */
import { proxyConfigFromEnv } from '../config';
import { createLogger } from '../observability/logger';
import { ProxyMetrics } from '../observability/metrics';
import { ShopperMarks } from '../observability/shopper-marks';
import { TrafficCounters } from '../observability/traffic-counters';
import { ShadowSide } from '../shadow-side';

test('with no shadow worker, the marks taken each second are counted as dropped, and none pile up', async () => {
  const marks = new ShopperMarks();
  const pending = [{ kind: 'exposed' as const, route: 'product-detail', side: 'legacy' as const, shopper: 7, minute: 0 }];
  // Marks as the handler leaves them: three, then taken once by the side.
  const taken: number[] = [];
  const take = marks.take.bind(marks);
  marks.take = () => { const all = [...pending, ...pending, ...pending, ...take()]; taken.push(all.length); return all; };
  const side = new ShadowSide(proxyConfigFromEnv({}), new ProxyMetrics(), createLogger('silent'), new TrafficCounters(), null, marks);
  await side.stop(0); // ships the last second's counters and marks, as every second does
  expect(taken).toEqual([3]);
  expect(marks.dropped).toBe(3);
});
