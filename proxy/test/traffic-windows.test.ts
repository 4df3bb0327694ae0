import { LATENCY_BOUNDS_MS, latencyBucket, quantileMs } from '../../shadow/store/traffic';
import { SLOT_MS, SLOTS, TrafficWindows } from '../observability/traffic-windows';

/** A slot boundary, so offsets below read as "seconds into the slot". */
const T0 = 1_700_000_000_000;

function windowsAt(start = T0): { windows: TrafficWindows; clock: { now: number } } {
  const clock = { now: start };
  return { windows: new TrafficWindows(() => clock.now), clock };
}

test('an unknown or idle route has zero requests and null rates and latencies, never 0', () => {
  const { windows, clock } = windowsAt();
  clock.now = T0 + 30 * 60_000;
  const w = windows.window('nobody', '1m');
  expect(w.legacy).toEqual({ requests: 0, rps: 0, failures: 0, failureRate: null, fallbacks: 0, p50Ms: null, p95Ms: null });
  expect(w.extracted).toEqual(w.legacy);
  expect(w.shadow).toEqual({ compared: 0, mismatches: 0, mismatchRate: null, errors: 0, dropped: 0, skipped: 0, truncated: 0 });
  expect(w.shed).toEqual({ overload: { requests: 0, rps: 0 }, rateLimit: { requests: 0, rps: 0 } });
  expect(windows.series('nobody').extracted.every((v) => v === 0)).toBe(true);
});

test('1m holds the last six slots, 15m all ninety; counts, failures, fallbacks and rps per backend', () => {
  const { windows, clock } = windowsAt(T0 - 20 * 60_000); // counting began long ago: windows are full length
  // 100 extracted requests 5 minutes ago, 10 of them failed and 4 of those fell back.
  for (let i = 0; i < 100; i++) windows.observe('r', 'extracted', i < 10, i < 4, 5, T0 - 5 * 60_000 + i);
  // 30 legacy and 6 extracted requests in the last minute.
  for (let i = 0; i < 30; i++) windows.observe('r', 'legacy', false, false, 2, T0 - 30_000 + i);
  for (let i = 0; i < 6; i++) windows.observe('r', 'extracted', i === 0, false, 8, T0 - 5_000 + i);
  clock.now = T0 + 5_000; // 5 s into the newest slot

  const oneMinute = windows.window('r', '1m');
  expect(oneMinute.seconds).toBe(55); // five whole slots and half of the current one
  expect(oneMinute.legacy).toMatchObject({ requests: 30, failures: 0, failureRate: 0, fallbacks: 0, rps: Number((30 / 55).toFixed(3)) });
  expect(oneMinute.extracted).toMatchObject({ requests: 6, failures: 1, failureRate: 1 / 6, fallbacks: 0 });

  const quarter = windows.window('r', '15m');
  expect(quarter.seconds).toBe(895);
  expect(quarter.extracted).toMatchObject({ requests: 106, failures: 11, failureRate: 11 / 106, fallbacks: 4, rps: Number((106 / 895).toFixed(3)) });
  expect(quarter.legacy.requests).toBe(30);
});

test('slots roll over: a slot reused 15 minutes later starts from zero, and old traffic leaves the windows', () => {
  const { windows, clock } = windowsAt(T0 - 60 * 60_000);
  windows.observe('r', 'legacy', true, false, 1, T0 + 1);
  clock.now = T0 + 2;
  expect(windows.window('r', '15m').legacy).toMatchObject({ requests: 1, failures: 1 });
  // The same ring index, SLOTS slots later.
  const later = T0 + SLOTS * SLOT_MS;
  windows.observe('r', 'legacy', false, false, 1, later + 1);
  clock.now = later + 2;
  expect(windows.window('r', '15m').legacy).toMatchObject({ requests: 1, failures: 0, failureRate: 0 });
  // One minute and one slot later, the 1m window is empty again; 15m still has it.
  clock.now = later + 60_000 + SLOT_MS;
  expect(windows.window('r', '1m').legacy).toMatchObject({ requests: 0, failureRate: null, p95Ms: null });
  expect(windows.window('r', '15m').legacy.requests).toBe(1);
  // 15 minutes after the last request nothing is left.
  clock.now = later + 15 * 60_000;
  expect(windows.window('r', '15m').legacy.requests).toBe(0);
});

test('a young process divides by the time it has been counting, not by the whole window', () => {
  const { windows, clock } = windowsAt(T0 + 2_000);
  for (let i = 0; i < 40; i++) windows.observe('r', 'legacy', false, false, 1, T0 + 2_000 + i * 100);
  clock.now = T0 + 6_000; // 4 s of counting
  expect(windows.window('r', '1m')).toMatchObject({ seconds: 4, legacy: { requests: 40, rps: 10 } });
  expect(windows.window('r', '15m').legacy.rps).toBe(10);
  const series = windows.series('r');
  expect(series.at[SLOTS - 1]).toBe(T0);
  expect(series.legacy[SLOTS - 1]).toBe(10);
  expect(series.legacy.slice(0, SLOTS - 1).every((v) => v === 0)).toBe(true);
});

test('quantiles come from the merged histogram of the window, as quantileMs computes them', () => {
  const { windows, clock } = windowsAt(T0 - 60 * 60_000);
  const expected = new Array<number>(LATENCY_BOUNDS_MS.length).fill(0);
  for (let i = 0; i < 95; i++) { windows.observe('r', 'extracted', false, false, 3, T0 - 40_000 + i); expected[latencyBucket(3)]++; }
  for (let i = 0; i < 5; i++) { windows.observe('r', 'extracted', false, false, 180, T0 - 10_000 + i); expected[latencyBucket(180)]++; }
  // Slow requests 10 minutes ago: in 15m, not in 1m.
  for (let i = 0; i < 100; i++) windows.observe('r', 'extracted', false, false, 900, T0 - 10 * 60_000 + i);
  clock.now = T0 + 1;
  const w = windows.window('r', '1m').extracted;
  expect(w.p50Ms).toBeCloseTo(quantileMs(expected, 0.5)!, 2);
  expect(w.p95Ms).toBeCloseTo(quantileMs(expected, 0.95)!, 2);
  expect(w.p50Ms!).toBeGreaterThan(2);
  expect(w.p50Ms!).toBeLessThanOrEqual(3);
  expect(windows.window('r', '15m').extracted.p95Ms!).toBeGreaterThan(750);
});

test('series: one point per slot for 15 minutes, oldest first, requests per second by backend', () => {
  const { windows, clock } = windowsAt(T0 - 60 * 60_000);
  for (let i = 0; i < 50; i++) windows.observe('r', 'extracted', false, false, 1, T0 - 3 * SLOT_MS + i); // 5/s, three slots ago
  for (let i = 0; i < 20; i++) windows.observe('r', 'legacy', false, false, 1, T0 - SLOT_MS + i); // 2/s, the slot before this one
  clock.now = T0 + 2_000;
  const s = windows.series('r');
  expect(s.slotSeconds).toBe(10);
  expect(s.at).toHaveLength(SLOTS);
  expect(s.at[0]).toBe(T0 - (SLOTS - 1) * SLOT_MS);
  expect(s.at[SLOTS - 1]).toBe(T0);
  expect(s.extracted[SLOTS - 4]).toBe(5);
  expect(s.legacy[SLOTS - 2]).toBe(2);
  expect(s.legacy.reduce((a, b) => a + b, 0)).toBe(2);
});

test('shadow outcomes: compared is matches + mismatches, over 1m and 15m; unknown outcomes are ignored', () => {
  const { windows, clock } = windowsAt(T0 - 60 * 60_000);
  windows.shadowOutcome('r', 'match', 7, T0 - 5 * 60_000);
  windows.shadowOutcome('r', 'mismatch', 3, T0 - 5 * 60_000);
  windows.shadowOutcome('r', 'match', 9, T0 - 1_000);
  windows.shadowOutcome('r', 'mismatch', 1, T0 - 1_000);
  windows.shadowOutcome('r', 'error', 2, T0 - 1_000);
  windows.shadowOutcome('r', 'dropped', 4, T0 - 1_000);
  windows.shadowOutcome('r', 'truncated', 1, T0 - 1_000);
  windows.shadowOutcome('r', 'something-new', 5, T0 - 1_000);
  clock.now = T0 + 1;
  expect(windows.window('r', '1m').shadow).toEqual({ compared: 10, mismatches: 1, mismatchRate: 0.1, errors: 2, dropped: 4, skipped: 0, truncated: 1 });
  expect(windows.window('r', '15m').shadow).toMatchObject({ compared: 20, mismatches: 4, mismatchRate: 0.2 });
});

test('shed requests: per reason over 1m and 15m, per second of the window, apart from the backends\' requests', () => {
  const { windows, clock } = windowsAt(T0 - 60 * 60_000);
  // 90 shed for overload 5 minutes ago; 30 for overload and 12 rate-limited in the last minute.
  for (let i = 0; i < 90; i++) windows.shed('r', 'overload', T0 - 5 * 60_000 + i);
  for (let i = 0; i < 30; i++) windows.shed('r', 'overload', T0 - 20_000 + i);
  for (let i = 0; i < 12; i++) windows.shed('r', 'rate_limit', T0 - 1_000 + i);
  windows.shed('other', 'rate_limit', T0 - 1_000);
  clock.now = T0; // a slot boundary: 1m covers exactly 50 s, 15m 890 s
  expect(windows.window('r', '1m').shed).toEqual({ overload: { requests: 30, rps: 0.6 }, rateLimit: { requests: 12, rps: 0.24 } });
  expect(windows.window('r', '15m').shed).toEqual({ overload: { requests: 120, rps: Math.round((120 / 890) * 1000) / 1000 }, rateLimit: { requests: 12, rps: Math.round((12 / 890) * 1000) / 1000 } });
  expect(windows.window('r', '1m').legacy.requests).toBe(0);
  expect(windows.raw('r', '15m').shed).toEqual([120, 12]);
  // 15 minutes later they have left both windows, and their slots are released.
  clock.now = T0 + 15 * 60_000;
  expect(windows.window('r', '15m').shed.overload.requests).toBe(0);
  windows.sweep(null);
  expect(windows.allocated()).toBe(0);
});

test('memory follows traffic: 1,000 routes with three busy allocate three routes of slots, released when idle or removed', () => {
  const { windows, clock } = windowsAt(T0);
  const names = Array.from({ length: 1000 }, (_, i) => `route-${i}`);
  for (const name of names) windows.window(name, '15m'); // reading allocates nothing
  expect(windows.allocated()).toBe(0);
  for (let i = 0; i < 10_000; i++) windows.observe(names[i % 3], i % 2 === 0 ? 'legacy' : 'extracted', false, false, 1, T0 + i);
  windows.shadowOutcome(names[0], 'match', 1, T0 + 1);
  expect(windows.allocated()).toBe(7);
  // A reload that drops route-2.
  windows.sweep(new Set(names.filter((n) => n !== 'route-2')), T0 + 20_000);
  expect(windows.allocated()).toBe(5);
  // route-1 keeps getting traffic; route-0 goes quiet for 15 minutes.
  clock.now = T0 + 15 * 60_000 + SLOT_MS;
  windows.observe(names[1], 'legacy', false, false, 1, clock.now);
  windows.sweep(null);
  expect(windows.allocated()).toBe(1);
  expect(windows.window(names[1], '15m').legacy.requests).toBe(1);
});
