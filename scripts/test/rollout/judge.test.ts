import type { RolloutPlan } from '../../../proxy/rules/types';
import type { ShadowCounts, SideTraffic } from '../../../shadow/store/evidence';
import { LATENCY_BOUNDS_MS, latencyBucket } from '../../../shadow/store/traffic';
import { judge, nextStep, stepOf, type JudgeInput, type WindowEvidence } from '../../cli/rollout/judge';
import { retirementOf } from '../../cli/rollout/retirement';
import { formatElapsed } from '../../cli/rollout/units';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);

const PLAN: RolloutPlan = Object.freeze({
  steps: [5, 25, 50, 100], minDurationMs: HOUR, minRequests: 200, maxErrorRate: 0.01, maxMismatchRate: 0.01, maxLatencyRatio: 1.5, retireAfterMs: 30 * DAY, guard: null,
});

/** `requests` answers, `failures` of them failed, every one taking `ms`. */
function side(requests: number, failures = 0, ms = 10): SideTraffic {
  const latency = new Array<number>(LATENCY_BOUNDS_MS.length).fill(0);
  latency[latencyBucket(ms)] = requests;
  return { requests, failures, fallbacks: 0, latency };
}

const shadow = (comparisons: number, mismatches = 0): ShadowCounts => ({ comparisons, mismatches, truncated: 0, errors: 0 });

function input(percent: number, elapsedMs: number, evidence: Partial<WindowEvidence>, plan: RolloutPlan = PLAN): JudgeInput {
  return {
    plan, percent, since: NOW - elapsedMs, now: NOW,
    evidence: { legacy: side(1000), extracted: side(0), shadow: shadow(0), conversion: null, ...evidence },
  };
}

const gate = (verdict: ReturnType<typeof judge>, name: string) => verdict.gates.find((g) => g.gate === name)!;

describe('hold: says exactly what is missing', () => {
  test('too few requests and too little time at the step', () => {
    const verdict = judge(input(25, 18 * MINUTE + 40_000, { extracted: side(120) }));
    expect(verdict).toMatchObject({ verdict: 'hold', fromPercent: 25, toPercent: 25, step: 2, summary: '120/200 requests, 18m/1h' });
  });
  test('only the time', () => {
    expect(judge(input(25, 30 * MINUTE, { extracted: side(450) })).summary).toBe('30m/1h');
  });
  test('only the requests, and a rate that is not certain yet is waiting, not failed', () => {
    // 2 failures in 50: if the next 150 succeed, 2/200 = 1.00% is within 1.00%.
    const verdict = judge(input(5, 2 * HOUR, { extracted: side(50, 2) }));
    expect(verdict).toMatchObject({ verdict: 'hold', summary: '50/200 requests' });
    expect(gate(verdict, 'error-rate')).toMatchObject({ status: 'waiting', text: '4.00% (2/50 requests) so far, max 1.00%' });
  });
});

describe('advance', () => {
  test('every gate holds, the step\'s time and requests reached: the next step', () => {
    const verdict = judge(input(25, HOUR, { extracted: side(200, 2, 11), shadow: shadow(40) }));
    expect(verdict).toMatchObject({ verdict: 'advance', fromPercent: 25, toPercent: 50, summary: '25% → 50%: every gate holds' });
    expect(verdict.gates.map((g) => [g.gate, g.status])).toEqual([
      ['time', 'ok'], ['requests', 'ok'], ['error-rate', 'ok'], ['mismatch-rate', 'ok'], ['latency-ratio', 'ok'],
    ]);
    expect(gate(verdict, 'error-rate').text).toBe('1.00% (2/200 requests), max 1.00%');
  });
  test('with no comparisons at all the mismatch gate is not judged and does not block', () => {
    const verdict = judge(input(5, HOUR, { extracted: side(300) }));
    expect(verdict.verdict).toBe('advance');
    expect(gate(verdict, 'mismatch-rate')).toMatchObject({ status: 'not-judged', text: 'no comparisons (not judged)' });
  });
  test('a percent that is not a step climbs to the next step above', () => {
    expect(judge(input(10, HOUR, { extracted: side(200) }))).toMatchObject({ verdict: 'advance', toPercent: 25, step: 1 });
    expect([0, 5, 10, 25, 100].map((p) => stepOf(PLAN.steps, p))).toEqual([0, 1, 1, 2, 4]);
    expect(nextStep(PLAN.steps, 60)).toBe(100);
  });
  test('latency is not judged while either side has too few samples, and then does not block', () => {
    const verdict = judge(input(50, HOUR, { extracted: side(200, 0, 100), legacy: side(5, 0, 10) }));
    expect(verdict.verdict).toBe('advance');
    expect(gate(verdict, 'latency-ratio')).toMatchObject({ status: 'not-judged', text: 'not judged: 200 extracted and 5 legacy samples (need 20 each)' });
    const unset = judge(input(50, HOUR, { extracted: side(200, 0, 100) }, { ...PLAN, maxLatencyRatio: null }));
    expect(unset.verdict).toBe('advance');
    expect(gate(unset, 'latency-ratio')).toMatchObject({ status: 'not-judged', text: 'not judged: no max_latency_ratio' });
  });
});

describe('before the first step (a new route at 0 %)', () => {
  test('advances to the first step after min_duration on shadow evidence alone, with no request requirement', () => {
    const verdict = judge(input(0, HOUR, { shadow: shadow(80) }));
    expect(verdict).toMatchObject({ verdict: 'advance', fromPercent: 0, toPercent: 5, step: 0 });
    expect(gate(verdict, 'requests')).toMatchObject({ status: 'not-judged' });
  });
  test('holds for the time', () => {
    expect(judge(input(0, 42 * MINUTE, { shadow: shadow(80) }))).toMatchObject({ verdict: 'hold', summary: '42m/1h' });
  });
  test('rolls back when shadow shows too many mismatches', () => {
    const verdict = judge(input(0, HOUR, { shadow: shadow(80, 4) }));
    expect(verdict).toMatchObject({ verdict: 'rollback', toPercent: 0, summary: '0% → 0%: mismatch rate 5.00% (4/80 comparisons), max 1.00%' });
  });
});

describe('rollback: a gate failed, back to 0', () => {
  test('on errors', () => {
    const verdict = judge(input(25, 2 * HOUR, { extracted: side(400, 6) }));
    expect(verdict).toMatchObject({ verdict: 'rollback', fromPercent: 25, toPercent: 0, summary: '25% → 0%: error rate 1.50% (6/400 requests), max 1.00%' });
  });
  test('on errors before min_requests when the outcome is already certain', () => {
    // 3 failures: even if the other 150 of the 200 succeed, 3/200 = 1.5% > 1%.
    const verdict = judge(input(5, 4 * MINUTE, { extracted: side(50, 3) }));
    expect(verdict).toMatchObject({ verdict: 'rollback', toPercent: 0 });
    expect(gate(verdict, 'error-rate')).toMatchObject({ status: 'failed', text: '3 failures in 50 requests: already over 1.00% of 200 whatever the rest are' });
  });
  test('on mismatches, and early when certain; many comparisons with few mismatches are not', () => {
    expect(judge(input(25, HOUR, { extracted: side(200), shadow: shadow(40, 1) }))).toMatchObject({
      verdict: 'rollback', summary: '25% → 0%: mismatch rate 2.50% (1/40 comparisons), max 1.00%',
    });
    expect(judge(input(25, 5 * MINUTE, { extracted: side(30), shadow: shadow(10, 3) })).verdict).toBe('rollback');
    // 3 of 1000 so far is 0.3 %: not a failure, even though 3 > 1 % of min_requests.
    const many = judge(input(25, 5 * MINUTE, { extracted: side(100), shadow: shadow(1000, 3) }));
    expect(many.verdict).toBe('hold');
    expect(gate(many, 'mismatch-rate').status).toBe('waiting');
  });
  test('on latency: extracted p95 over max_latency_ratio times legacy p95', () => {
    const verdict = judge(input(50, HOUR, { extracted: side(300, 0, 30), legacy: side(300, 0, 10) }));
    expect(verdict.verdict).toBe('rollback');
    expect(gate(verdict, 'latency-ratio')).toMatchObject({ status: 'failed' });
    expect(gate(verdict, 'latency-ratio').value).toBeGreaterThan(2);
    expect(verdict.summary).toMatch(/^50% → 0%: latency p95 extracted 29\.\d ms \/ legacy 9\.\d ms = \d\.\d\d, max 1\.5$/);
  });
  test('a slow side is not judged on latency before the step\'s requests are in', () => {
    expect(judge(input(50, HOUR, { extracted: side(100, 0, 30), legacy: side(300, 0, 10) })).verdict).toBe('hold');
  });
});

describe('complete: at the last step, with retirement readiness', () => {
  test('not ready before retire_after', () => {
    const verdict = judge(input(100, 10 * DAY, { extracted: side(5000), legacy: side(0), shadow: shadow(900, 1) }));
    expect(verdict).toMatchObject({ verdict: 'complete', toPercent: 100, step: 4 });
    expect(verdict.retirement).toMatchObject({ ready: false, comparisons: 900, atFullSince: NOW - 10 * DAY });
    expect(verdict.summary).toBe('not ready to retire legacy: 10d/30d at 100%, 0.11% mismatches in 900 comparisons since reaching 100%');
  });
  test('ready once retire_after has passed within budget', () => {
    const verdict = judge(input(100, 31 * DAY, { extracted: side(90_000), legacy: side(0), shadow: shadow(4000, 8) }));
    expect(verdict.retirement).toMatchObject({ ready: true, mismatchRate: 0.002 });
    expect(verdict.summary).toBe('legacy can be retired: 31d at 100% (retire_after 30d), 0.20% mismatches in 4000 comparisons since reaching 100%');
  });
  test('not ready without comparisons, nor over budget', () => {
    expect(retirementOf(PLAN, 100, NOW - 31 * DAY, NOW, shadow(0))).toMatchObject({ ready: false, text: 'not ready to retire legacy: no comparisons since reaching 100% (shadow the route to compare legacy)' });
    expect(retirementOf(PLAN, 100, NOW - 31 * DAY, NOW, shadow(100, 5))).toMatchObject({ ready: false, text: 'not ready to retire legacy: 5.00% mismatches in 100 comparisons since reaching 100%, over 1.00%' });
    expect(retirementOf(PLAN, 50, NOW - 31 * DAY, NOW, shadow(100))).toBeNull();
  });
  test('still rolled back when a gate fails at the last step', () => {
    expect(judge(input(100, 2 * DAY, { extracted: side(1000, 50) })).verdict).toBe('rollback');
  });
  test('a plan that ends below 100 % is complete with no retirement', () => {
    const verdict = judge(input(50, DAY, { extracted: side(1000) }, { ...PLAN, steps: [5, 25, 50] }));
    expect(verdict).toMatchObject({ verdict: 'complete', retirement: null, summary: 'the plan ends at 50%; legacy still serves the other 50%' });
  });
});

test('time is written in its two largest units, rounded down', () => {
  expect([950, 1_500, 65_000, 18 * MINUTE + 59_000, HOUR, 83 * MINUTE, DAY + 3 * HOUR + 5 * MINUTE, 30 * DAY].map(formatElapsed))
    .toEqual(['950ms', '1s', '1m', '18m', '1h', '1h23m', '1d3h', '30d']);
});

describe('the conversion guard', () => {
  const GUARDED: RolloutPlan = { ...PLAN, guard: { goal: 'order', maxDrop: 0.05, minShoppers: 100, confidence: 0.95 } };
  const conversion = (legacy: [number, number], extracted: [number, number]) => ({
    legacy: { shoppers: legacy[0], converted: legacy[1] }, extracted: { shoppers: extracted[0], converted: extracted[1] },
  });
  const ready = { extracted: side(400), shadow: shadow(40) };
  test('rolls back, naming the conversion gate, with both rates, their shoppers and the interval', () => {
    const verdict = judge(input(25, HOUR, { ...ready, conversion: conversion([150, 45], [140, 7]) }, GUARDED));
    expect(verdict.verdict).toBe('rollback');
    const guard = gate(verdict, 'conversion');
    expect(guard).toMatchObject({ status: 'failed', limit: 0.05 });
    expect(guard.value).toBeCloseTo(1 - (7 / 140) / 0.3);
    expect(guard.text).toMatch(/^order: legacy 30\.0% \(45\/150 shoppers\), extracted 5\.0% \(7\/140\), drop 83\.3% \[\d+\.\d% \.\. \d+\.\d%\] at 95%, max 5\.0%$/);
    expect(guard.interval![0]).toBeGreaterThan(0.05);
    expect(verdict.summary).toMatch(/^25% → 0%: conversion order: legacy 30\.0%/);
  });
  test('rolls back before min_shoppers once the drop is certain, even when the other gates would wait', () => {
    const plan = { ...GUARDED, guard: { ...GUARDED.guard!, minShoppers: 500 } };
    const verdict = judge(input(25, 10 * MINUTE, { extracted: side(50), conversion: conversion([150, 45], [150, 3]) }, plan));
    expect(verdict.verdict).toBe('rollback');
    expect(verdict.gates.filter((g) => g.status === 'failed').map((g) => g.gate)).toEqual(['conversion']);
  });
  test('holds below min_shoppers on either side, saying how many', () => {
    const verdict = judge(input(25, HOUR, { ...ready, conversion: conversion([400, 120], [60, 18]) }, GUARDED));
    expect(verdict.verdict).toBe('hold');
    expect(verdict.summary).toMatch(/^60\/100 shoppers a side; order: legacy 30\.0%/);
    expect(gate(verdict, 'conversion').status).toBe('waiting');
  });
  test('equal sides with enough shoppers pass, and the route advances', () => {
    const verdict = judge(input(25, HOUR, { ...ready, conversion: conversion([300, 90], [300, 90]) }, GUARDED));
    expect(verdict.verdict).toBe('advance');
    expect(gate(verdict, 'conversion')).toMatchObject({ status: 'ok', value: 0 });
  });
  test('before the first step and at 100 % one side has no shoppers: not judged, not blocking', () => {
    expect(gate(judge(input(0, 2 * HOUR, { conversion: conversion([300, 90], [0, 0]) }, GUARDED)), 'conversion').status).toBe('not-judged');
    const full = judge(input(100, HOUR, { ...ready, conversion: conversion([0, 0], [300, 9]) }, GUARDED));
    expect(full.verdict).toBe('complete');
    expect(gate(full, 'conversion')).toMatchObject({ status: 'not-judged', text: 'not judged at 100%: no shopper is on legacy' });
  });
  test('a route without a guard has no conversion gate', () => {
    expect(judge(input(25, HOUR, ready)).gates.map((g) => g.gate)).not.toContain('conversion');
  });
});
