import type { CompiledRoute, RolloutPlan } from '../../../proxy/rules/types';
import type { EvidenceStore, PercentEvent, VerdictKind } from '../../../shadow/store/evidence';
import { percentInFile } from '../rules-file';
import { countComparisons } from './comparisons';
import { judge, stepOf, type GateResult, type WindowEvidence } from './judge';
import type { Retirement } from './retirement';
import { stepWindow } from './window';

/** What `strangler rollout` decided for one route, before anything is written. */
export interface RouteDecision {
  readonly route: string;
  readonly verdict: VerdictKind;
  readonly fromPercent: number | null;
  readonly toPercent: number | null;
  readonly step: number | null;
  readonly steps: readonly number[];
  readonly summary: string;
  readonly notes: readonly string[];
  /** The current step's window and the change that started it; null for a flag-driven route. */
  readonly window: { readonly since: number; readonly action: PercentEvent['action']; readonly who: string } | null;
  readonly gates: readonly GateResult[];
  readonly evidence: WindowEvidence | null;
  readonly retirement: Retirement | null;
  /** The percent change this decision makes (file edit and percent event); null for none. */
  readonly change: { readonly action: 'rollout' | 'rollback' | 'resume'; readonly from: number; readonly to: number } | null;
  /** A hand edit noticed now, to be recorded. */
  readonly hand: PercentEvent | null;
}

export interface DecisionContext {
  readonly store: EvidenceStore;
  readonly now: number;
  readonly file: string;
  readonly fileMtimeMs: number;
  /** The command line (and user) that runs this, for the events it records. */
  readonly who: string;
  readonly resume: boolean;
  /** UNLEASH_URL is set: a route's `flag` is in force. */
  readonly unleashConfigured: boolean;
}

/** Counters, comparisons and (for a guarded route) exposed and converted shoppers of a window, read from the store. */
export async function windowEvidence(store: EvidenceStore, route: CompiledRoute, since: number, until: number): Promise<WindowEvidence> {
  const { legacy, extracted } = await store.traffic(route.name, since, until);
  const conversion = route.rollout?.guard ? await store.conversions(route.name, since, until) : null;
  return { legacy, extracted, shadow: await countComparisons(() => store.shadowRows(route.name, since, until)), conversion };
}

/** Reads what the store knows about one route with a rollout block and decides; writes nothing. */
export async function decideRoute(route: CompiledRoute, context: DecisionContext): Promise<RouteDecision> {
  const plan = route.rollout as RolloutPlan;
  const base = { route: route.name, steps: plan.steps, gates: [], evidence: null, retirement: null, change: null, hand: null, notes: [] as string[] };
  if (route.flag !== null && context.unleashConfigured) {
    return {
      ...base, verdict: 'left-alone', fromPercent: null, toPercent: null, step: null, window: null,
      summary: `its percent comes from the Unleash flag "${route.flag}" (UNLEASH_URL is set): ramp the flag in Unleash`,
    };
  }
  const notes = route.flag === null ? [] : [`flag "${route.flag}" is not in force (UNLEASH_URL is not set): judging the file's percent`];
  // A killed route serves nobody from extracted: its percent in force is 0.
  const percent = percentInFile(route);
  const step = stepOf(plan.steps, percent);
  const window = stepWindow(route.name, percent, await context.store.lastPercentEvent(route.name), context.fileMtimeMs, context.now, context.file, `hand edit, noticed by ${context.who}`);
  const started = { since: window.since, action: window.startedBy.action, who: window.startedBy.who };
  const common = { ...base, notes, step, window: started, hand: window.hand, fromPercent: percent };
  if (route.killed) {
    return { ...common, verdict: 'left-alone', toPercent: percent, summary: 'killed: everything goes to legacy; unkill it to judge it again' };
  }
  // A hand edit to a percent above 0 is a person putting the route back up: no longer rolled back.
  const rolledBackAt = window.hand !== null && window.hand.toPercent > 0 ? null : await context.store.rolledBackAt(route.name);
  if (rolledBackAt !== null) {
    if (context.resume) {
      // What is printed is the state the resume leaves: the first step's window, starting now, and
      // its gates (all waiting), not the rolled-back window that has just ended.
      const to = plan.steps[0];
      const evidence = await windowEvidence(context.store, route, context.now, context.now);
      const fresh = judge({ plan, percent: to, since: context.now, now: context.now, evidence });
      return {
        ...common, verdict: 'resume', toPercent: to, window: { since: context.now, action: 'resume', who: context.who },
        summary: `resumed: ${percent}% → ${to}% (step ${stepOf(plan.steps, to)} of ${plan.steps.length}), a new window starts now: ${fresh.summary}`,
        gates: fresh.gates, evidence, change: { action: 'resume', from: percent, to },
      };
    }
    return {
      ...common, verdict: 'rolled-back', toPercent: percent,
      summary: `rolled back at ${new Date(rolledBackAt).toISOString()}; stays at ${percent}% until: strangler rollout ${route.name} --resume`,
    };
  }
  const evidence = await windowEvidence(context.store, route, window.since, context.now);
  const verdict = judge({ plan, percent, since: window.since, now: context.now, evidence });
  const resumeNote = context.resume ? [`not rolled back: --resume changes nothing for "${route.name}"`] : [];
  return {
    ...common, notes: [...notes, ...resumeNote], verdict: verdict.verdict, toPercent: verdict.toPercent, summary: verdict.summary,
    gates: verdict.gates, evidence, retirement: verdict.retirement,
    change: verdict.verdict === 'advance' ? { action: 'rollout', from: percent, to: verdict.toPercent }
      : verdict.verdict === 'rollback' ? { action: 'rollback', from: percent, to: 0 } : null,
  };
}
