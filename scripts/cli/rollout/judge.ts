import { formatDuration } from '../../../proxy/rules/duration';
import type { RolloutPlan } from '../../../proxy/rules/types';
import type { ShadowCounts, SideTraffic } from '../../../shadow/store/evidence';
import { quantileMs } from '../../../shadow/store/traffic';
import { conversionGate, type WindowConversions } from './conversion-gate';
import { retirementOf, type Retirement } from './retirement';
import { formatElapsed, rateText } from './units';

/** A p95 from fewer samples than this, on either side, says too little to compare. */
export const LATENCY_MIN_SAMPLES = 20;

/** What the store holds for the current step's window. */
export interface WindowEvidence {
  readonly legacy: SideTraffic;
  readonly extracted: SideTraffic;
  readonly shadow: ShadowCounts;
  /** Exposed and converted shoppers per side, for a route with a conversion guard; null otherwise. */
  readonly conversion: WindowConversions | null;
}

export interface JudgeInput {
  readonly plan: RolloutPlan;
  /** The route's percent in force (from the rules file). */
  readonly percent: number;
  /** Start of the window: the route's last percent change. */
  readonly since: number;
  readonly now: number;
  readonly evidence: WindowEvidence;
}

export type GateName = 'time' | 'requests' | 'error-rate' | 'mismatch-rate' | 'latency-ratio' | 'conversion';
/** `waiting`: not decided yet, the step's evidence is incomplete; `not-judged`: cannot be judged, does not block. */
export type GateStatus = 'ok' | 'failed' | 'waiting' | 'not-judged';

export interface GateResult {
  readonly gate: GateName;
  readonly status: GateStatus;
  /** The measured figure (ms, a count, a rate or a ratio), null when there is none. */
  readonly value: number | null;
  readonly limit: number | null;
  readonly text: string;
  /** The conversion gate's interval on the drop (extracted against legacy), when it has one. */
  readonly interval?: readonly [number, number] | null;
}

export interface Verdict {
  readonly verdict: 'advance' | 'hold' | 'rollback' | 'complete';
  readonly fromPercent: number;
  readonly toPercent: number;
  /** The steps at or below the percent: 0 before the first step. */
  readonly step: number;
  readonly gates: readonly GateResult[];
  readonly summary: string;
  readonly retirement: Retirement | null;
}

export const GATE_LABELS: Readonly<Record<GateName, string>> = {
  time: 'time at step', requests: 'requests', 'error-rate': 'error rate', 'mismatch-rate': 'mismatch rate', 'latency-ratio': 'latency p95', conversion: 'conversion',
};

/** How many steps are at or below the percent (as /status counts them): 0 before the first step. */
export function stepOf(steps: readonly number[], percent: number): number {
  return steps.filter((step) => step <= percent).length;
}

/** The step after a percent: the first step above it (so a percent off the plan climbs onto it), or null past the last. */
export function nextStep(steps: readonly number[], percent: number): number | null {
  return steps.find((step) => step > percent) ?? null;
}

const sum = (counts: readonly number[]): number => counts.reduce((a, b) => a + b, 0);

/**
 * A rate gate. Once the step's sample is complete the rate is judged. Before that it fails only when
 * the outcome is already certain: more bad ones than `max` of the sample the step is judged on
 * (`floor`, or what has been seen when more), whatever the rest turn out to be.
 */
function rateGate(gate: GateName, bad: number, total: number, max: number, complete: boolean, floor: number, nouns: [string, string]): GateResult {
  const rate = bad / total;
  const figures = `${rateText(rate)} (${bad}/${total} ${nouns[1]})`;
  if (complete) return { gate, status: rate > max ? 'failed' : 'ok', value: rate, limit: max, text: `${figures}, max ${rateText(max)}` };
  const sample = Math.max(floor, total);
  if (bad > max * sample) {
    return { gate, status: 'failed', value: rate, limit: max, text: `${bad} ${nouns[0]} in ${total} ${nouns[1]}: already over ${rateText(max)} of ${sample} whatever the rest are` };
  }
  return { gate, status: 'waiting', value: rate, limit: max, text: `${figures} so far, max ${rateText(max)}` };
}

function latencyGate(plan: RolloutPlan, evidence: WindowEvidence, complete: boolean): GateResult {
  const limit = plan.maxLatencyRatio;
  if (limit === null) return { gate: 'latency-ratio', status: 'not-judged', value: null, limit, text: 'not judged: no max_latency_ratio' };
  const extractedSamples = sum(evidence.extracted.latency);
  const legacySamples = sum(evidence.legacy.latency);
  if (extractedSamples < LATENCY_MIN_SAMPLES || legacySamples < LATENCY_MIN_SAMPLES) {
    return { gate: 'latency-ratio', status: 'not-judged', value: null, limit, text: `not judged: ${extractedSamples} extracted and ${legacySamples} legacy samples (need ${LATENCY_MIN_SAMPLES} each)` };
  }
  const extractedP95 = quantileMs(evidence.extracted.latency, 0.95)!;
  const legacyP95 = quantileMs(evidence.legacy.latency, 0.95)!;
  const ratio = extractedP95 / legacyP95;
  const figures = `extracted ${extractedP95.toFixed(1)} ms / legacy ${legacyP95.toFixed(1)} ms = ${ratio.toFixed(2)}`;
  if (!complete) return { gate: 'latency-ratio', status: 'waiting', value: ratio, limit, text: `${figures} so far, max ${limit}` };
  return { gate: 'latency-ratio', status: ratio > limit ? 'failed' : 'ok', value: ratio, limit, text: `${figures}, max ${limit}` };
}

/** Every gate against the current step's window. */
export function gatesOf(input: JudgeInput): GateResult[] {
  const { plan, percent, evidence } = input;
  const elapsed = Math.max(0, input.now - input.since);
  const preStep = percent === 0;
  const requests = evidence.extracted.requests;
  const time: GateResult = {
    gate: 'time', status: elapsed >= plan.minDurationMs ? 'ok' : 'waiting', value: elapsed, limit: plan.minDurationMs,
    text: `${formatElapsed(elapsed)}/${formatDuration(plan.minDurationMs)}`,
  };
  const requestGate: GateResult = preStep
    ? { gate: 'requests', status: 'not-judged', value: requests, limit: null, text: `${requests}: no request requirement before the first step` }
    : { gate: 'requests', status: requests >= plan.minRequests ? 'ok' : 'waiting', value: requests, limit: plan.minRequests, text: `${requests}/${plan.minRequests} requests` };
  // Before the first step the sample is whatever shadow gathered in min_duration; after it, min_requests.
  const complete = preStep ? time.status === 'ok' : requestGate.status === 'ok';
  const errors: GateResult = requests === 0
    ? { gate: 'error-rate', status: complete ? 'not-judged' : 'waiting', value: null, limit: plan.maxErrorRate, text: complete ? 'not judged: no extracted requests' : 'no extracted requests yet' }
    : rateGate('error-rate', evidence.extracted.failures, requests, plan.maxErrorRate, complete, plan.minRequests, ['failures', 'requests']);
  const { comparisons, mismatches } = evidence.shadow;
  const mismatch: GateResult = comparisons === 0
    ? { gate: 'mismatch-rate', status: 'not-judged', value: null, limit: plan.maxMismatchRate, text: 'no comparisons (not judged)' }
    : rateGate('mismatch-rate', mismatches, comparisons, plan.maxMismatchRate, complete, plan.minRequests, ['mismatches', 'comparisons']);
  const gates = [time, requestGate, errors, mismatch, latencyGate(plan, evidence, complete)];
  if (plan.guard !== null) {
    const conversions = evidence.conversion ?? { legacy: { shoppers: 0, converted: 0 }, extracted: { shoppers: 0, converted: 0 } };
    const result = conversionGate(plan.guard, conversions, percent);
    const { drop, interval } = result.judgement;
    gates.push({ gate: 'conversion', status: result.status, value: drop, limit: plan.guard.maxDrop, text: result.text, interval });
  }
  return gates;
}

/**
 * Pure: the evidence of the current step in, the verdict out. A failed gate rolls back to 0; at the
 * last step the route is complete; with every gate holding and the step's time and requests
 * reached it advances; otherwise it holds, saying what is missing.
 */
export function judge(input: JudgeInput): Verdict {
  const { plan, percent } = input;
  const gates = gatesOf(input);
  const step = stepOf(plan.steps, percent);
  const next = nextStep(plan.steps, percent);
  const failed = gates.filter((g) => g.status === 'failed');
  if (failed.length > 0) {
    const summary = `${percent}% → 0%: ${failed.map((g) => `${GATE_LABELS[g.gate]} ${g.text}`).join('; ')}`;
    return { verdict: 'rollback', fromPercent: percent, toPercent: 0, step, gates, summary, retirement: null };
  }
  if (next === null) {
    const retirement = retirementOf(plan, percent, input.since, input.now, input.evidence.shadow);
    const summary = retirement ? retirement.text : `the plan ends at ${percent}%; legacy still serves the other ${100 - percent}%`;
    return { verdict: 'complete', fromPercent: percent, toPercent: percent, step, gates, summary, retirement };
  }
  // Requests before time, as people say it: "120/200 requests, 18m/1h"; then the guard's shoppers.
  const missing = ['requests', 'time', 'conversion'].map((name) => gates.find((g) => g.gate === name)).filter((g) => g !== undefined && g.status === 'waiting') as GateResult[];
  if (missing.length > 0) {
    return { verdict: 'hold', fromPercent: percent, toPercent: percent, step, gates, summary: missing.map((g) => g.text).join(', '), retirement: null };
  }
  return { verdict: 'advance', fromPercent: percent, toPercent: next, step, gates, summary: `${percent}% → ${next}%: every gate holds`, retirement: null };
}
