import type { SideTraffic } from '../../../shadow/store/evidence';
import { quantileMs } from '../../../shadow/store/traffic';
import { GATE_LABELS, type GateStatus } from './judge';
import type { RouteDecision } from './route-decision';

const STATUS_WORDS: Readonly<Record<GateStatus, string>> = { ok: 'ok', failed: 'FAILED', waiting: 'waiting', 'not-judged': 'not judged' };

const iso = (ms: number): string => new Date(ms).toISOString();

function stepText(decision: RouteDecision): string {
  if (decision.step === 0) return 'before the first step';
  const offPlan = decision.fromPercent !== null && !decision.steps.includes(decision.fromPercent);
  return `step ${decision.step} of ${decision.steps.length}${offPlan ? `, not itself a step of [${decision.steps.join(', ')}]` : ''}`;
}

/** One route's verdict for people: the verdict and why on the first line, then each gate against its evidence. */
export function formatDecision(decision: RouteDecision): string[] {
  const verdict = decision.verdict.replace('-', ' ').toUpperCase();
  const where = decision.fromPercent === null ? '' : ` at ${decision.fromPercent}% (${stepText(decision)})`;
  const lines = [`${decision.route}: ${verdict}${where}: ${decision.summary}`];
  if (decision.window) lines.push(`  window: since ${iso(decision.window.since)}, set by ${decision.window.action} (${decision.window.who})`);
  for (const gate of decision.gates) lines.push(`  ${STATUS_WORDS[gate.status].padEnd(11)} ${GATE_LABELS[gate.gate].padEnd(14)} ${gate.text}`);
  if (decision.evidence) {
    const { extracted, legacy, shadow } = decision.evidence;
    lines.push(`  evidence: extracted ${extracted.requests} requests (${extracted.failures} failed, ${extracted.fallbacks} answered by the fallback), legacy ${legacy.requests}; `
      + `${shadow.comparisons} comparisons (${shadow.mismatches} mismatches), ${shadow.truncated} truncated, ${shadow.errors} failed mirrors`);
  }
  for (const note of decision.notes) lines.push(`  note: ${note}`);
  return lines;
}

function side(traffic: SideTraffic): Record<string, number | null> {
  const samples = traffic.latency.reduce((a, b) => a + b, 0);
  return { requests: traffic.requests, failures: traffic.failures, fallbacks: traffic.fallbacks, latencySamples: samples, p95Ms: quantileMs(traffic.latency, 0.95) };
}

/** One route's verdict for machines: what `--json` prints and what the store keeps as the verdict's evidence. */
export function decisionJson(decision: RouteDecision): Record<string, unknown> {
  return {
    route: decision.route,
    verdict: decision.verdict,
    fromPercent: decision.fromPercent,
    toPercent: decision.toPercent,
    step: decision.step,
    steps: decision.steps,
    summary: decision.summary,
    notes: decision.notes,
    window: decision.window ? { ...decision.window, since: iso(decision.window.since) } : null,
    gates: decision.gates,
    evidence: decision.evidence ? { extracted: side(decision.evidence.extracted), legacy: side(decision.evidence.legacy), shadow: decision.evidence.shadow } : null,
    retirement: decision.retirement ? { ...decision.retirement, atFullSince: iso(decision.retirement.atFullSince) } : null,
  };
}
