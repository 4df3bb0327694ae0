import { GradientLimit, GRADIENT_DEFAULTS } from '../../overload/gradient-limit';
import { simulate } from './simulated-upstream';

// The upstream of the peak-traffic issue: 4 requests at a time, 25 ms each (160 answers/s).
const WORKERS = 4;
const FAST = 25;
const capacity = (serviceMs: number): number => (WORKERS / serviceMs) * 1000;
const perSecond = (completed: number, ms: number): number => (completed / ms) * 1000;

describe('the adaptive concurrency limit on a simulated upstream', () => {
  test('steady overload: it settles a little above the upstream\'s own concurrency, keeping it busy without a long queue', () => {
    const sim = simulate(WORKERS, () => FAST);
    sim.run(5_000);
    const w = sim.run(15_000);
    expect(perSecond(w.completed, 10_000)).toBeGreaterThanOrEqual(0.9 * capacity(FAST));
    expect(w.meanLatencyMs).toBeLessThanOrEqual(3 * FAST);
    expect(w.limitMin).toBeGreaterThanOrEqual(3);
    expect(w.limitMax).toBeLessThanOrEqual(16);
  });

  test('a 10× slowdown: the limit comes down, the upstream stays busy, and latency is the new service time, not a queue', () => {
    let slowFrom = Infinity;
    const sim = simulate(WORKERS, (now) => (now >= slowFrom ? 10 * FAST : FAST));
    sim.run(10_000);
    slowFrom = 10_000;
    sim.run(13_000);
    const w = sim.run(33_000);
    expect(perSecond(w.completed, 20_000)).toBeGreaterThanOrEqual(0.9 * capacity(10 * FAST));
    expect(w.meanLatencyMs).toBeLessThanOrEqual(3 * 10 * FAST);
    expect(w.limitMax).toBeLessThanOrEqual(16);
  });

  test('recovery: once the upstream is fast again the limit grows back and latency returns within 2 s', () => {
    let slow = false;
    const sim = simulate(WORKERS, () => (slow ? 10 * FAST : FAST));
    sim.run(5_000);
    // Slow long enough for a periodic probe to have measured the slow latency as the no-queue one.
    slow = true;
    sim.run(50_000);
    expect(sim.limit.minRtt).toBeGreaterThan(5 * FAST);
    slow = false;
    // Within 2 s of the recovery, not at the next periodic probe (up to 75 s later).
    sim.run(52_000);
    const w = sim.run(57_000);
    expect(perSecond(w.completed, 5_000)).toBeGreaterThanOrEqual(0.9 * capacity(FAST));
    expect(w.maxLatencyMs).toBeLessThanOrEqual(3 * FAST);
  });

  test('bursty demand: idle gaps do not let the limit run away, and each burst is served at capacity', () => {
    // 500 ms of saturating demand, then 1.5 s of nothing, over and over.
    const sim = simulate(WORKERS, () => FAST, (now) => now % 2000 < 500);
    sim.run(10_000);
    const w = sim.run(30_000);
    expect(w.limitMax).toBeLessThanOrEqual(16);
    // A quarter of the time is demand: at least 90 % of what the upstream can do in that quarter.
    expect(perSecond(w.completed, 20_000)).toBeGreaterThanOrEqual(0.9 * capacity(FAST) * 0.25);
    expect(w.meanLatencyMs).toBeLessThanOrEqual(3 * FAST);
  });

  test('a light load that never fills the limit leaves it where it is', () => {
    const limit = new GradientLimit(0, GRADIENT_DEFAULTS, () => 0.5);
    let now = 0;
    for (let i = 0; i < GRADIENT_DEFAULTS.probeSamples; i++) limit.sample(FAST, 1, now += 1);
    const after = limit.limit;
    for (let i = 0; i < 2000; i++) limit.sample(FAST, 1, now += 5);
    expect(after).toBe(GRADIENT_DEFAULTS.initialLimit);
    expect(limit.limit).toBe(after);
  });

  test('it starts by measuring the no-queue latency at the floor, and probes again about every 60 s', () => {
    const limit = new GradientLimit(0, GRADIENT_DEFAULTS, () => 0.5);
    expect(limit.probing).toBe(true);
    expect(limit.limit).toBe(GRADIENT_DEFAULTS.minLimit);
    // Answers sent before the floor (many in flight) do not count as measurements.
    for (let i = 0; i < 50; i++) limit.sample(200, 50, i);
    expect(limit.probing).toBe(true);
    let now = 100;
    for (let i = 0; i < GRADIENT_DEFAULTS.probeSamples; i++) limit.sample(20, 2, now++);
    expect(limit.probing).toBe(false);
    expect(limit.minRtt).toBe(20);
    // Traffic that fills the limit, at the no-queue latency: no probe before 45 s, one by 75 s.
    while (now < 44_000) { limit.sample(20, limit.limit, now); now += 1; }
    expect(limit.probing).toBe(false);
    while (now < 76_000 && !limit.probing) { limit.sample(20, limit.limit, now); now += 1; }
    expect(limit.probing).toBe(true);
    expect(limit.limit).toBe(GRADIENT_DEFAULTS.minLimit);
  });
});
