import fs from 'node:fs';
import path from 'node:path';
import { formatDuration, parseDuration } from '../../proxy/rules/duration';
import { routeNames, setRouteKey } from '../../proxy/rules/edit';
import { formatPlan, planChange, planRoutesOf, type PlanRow } from '../../proxy/rules/plan';
import type { CompiledRoute, CompiledRules } from '../../proxy/rules/types';
import { EvidenceStoreError, type EvidenceStore } from '../../shadow/store/evidence';
import { defaultDiffDb } from '../../shadow/store/location';
import { openEvidenceStore } from '../../shadow/store/open-evidence';
import { out, parse, usageError, warn, whoRuns, type CommandCall } from './command-line';
import { decisionJson, formatDecision } from './rollout/format';
import { decideRoute, type RouteDecision } from './rollout/route-decision';
import { CommandError, compileOrThrow, readRulesText, rulesFilePath, unknownRoute, writeAtomically } from './rules-file';

export interface RolloutOptions {
  /** Routes named on the command line; empty: every route with a rollout block. */
  readonly routes: readonly string[];
  readonly file: string;
  readonly db: string;
  readonly dryRun: boolean;
  readonly resume: boolean;
  readonly json: boolean;
  /** The command line and user, recorded with every change. */
  readonly who: string;
  readonly unleashConfigured: boolean;
  /** Under --watch: each run's JSON document on one line. */
  readonly watching?: boolean;
}

/** Exit status of a run that rolled at least one route back (a CI job can page on it). */
export const EXIT_ROLLED_BACK = 3;

function routesToJudge(rules: CompiledRules, text: string, options: RolloutOptions): CompiledRoute[] {
  if (options.routes.length === 0) return rules.routes.filter((r) => r.rollout !== null);
  return [...new Set(options.routes)].map((name) => {
    const route = rules.routes.find((r) => r.name === name);
    if (!route) throw unknownRoute(name, routeNames(text), options.file);
    if (!route.rollout) throw new CommandError(`route "${name}" in ${options.file} has no rollout block: add one (for example rollout: { steps: [5, 25, 50, 100] }) or ramp it with strangler ramp`);
    return route;
  });
}

async function openStore(options: RolloutOptions): Promise<EvidenceStore> {
  try {
    return await openEvidenceStore(options.db, { readonly: options.dryRun });
  } catch (error) {
    if (error instanceof EvidenceStoreError) throw new CommandError(error.message);
    throw error;
  }
}

/** The rules text with each decided percent written in, and the plan of that change. */
function applyChanges(text: string, rules: CompiledRules, decisions: readonly RouteDecision[], file: string): { text: string; plan: PlanRow[] } {
  let edited = text;
  for (const decision of decisions) {
    if (decision.change === null || decision.change.from === decision.change.to) continue;
    const result = setRouteKey(edited, decision.route, 'percent', String(decision.change.to));
    if (!result.ok) throw new CommandError(result.message);
    edited = result.text;
  }
  if (edited === text) return { text, plan: [] };
  return { text: edited, plan: planChange(planRoutesOf(rules), planRoutesOf(compileOrThrow(edited, file))) };
}

/** Records what the run decided in the store: hand edits it noticed, its own percent changes, every verdict. */
async function record(store: EvidenceStore, decisions: readonly RouteDecision[], options: RolloutOptions, now: number): Promise<void> {
  const file = path.resolve(options.file);
  try {
    await recordEach(store, decisions, options.who, file, now);
  } catch (error) {
    const written = decisions.some((d) => d.change && d.change.from !== d.change.to) ? `${options.file} is written, but ` : '';
    throw new CommandError(`${written}the evidence store ${store.location} could not record this run: ${(error as Error).message}`);
  }
}

async function recordEach(store: EvidenceStore, decisions: readonly RouteDecision[], who: string, file: string, now: number): Promise<void> {
  for (const decision of decisions) {
    if (decision.hand) await store.recordPercentEvent(decision.hand);
    if (decision.change) {
      await store.recordPercentEvent({ at: now, route: decision.route, fromPercent: decision.change.from, toPercent: decision.change.to, action: decision.change.action, who, file });
    }
    const { route: _route, verdict: _verdict, ...evidence } = decisionJson(decision);
    await store.recordVerdict({ at: now, route: decision.route, verdict: decision.verdict, fromPercent: decision.fromPercent, toPercent: decision.toPercent, evidence: { ...evidence, summary: decision.summary } });
  }
}

/** One judgement of every route asked for. Returns the exit status: 0, or 3 when this run rolled a route back. */
export async function rolloutOnce(options: RolloutOptions, out: (line: string) => void, now: number = Date.now()): Promise<number> {
  const text = readRulesText(options.file);
  const rules = compileOrThrow(text, options.file);
  const routes = routesToJudge(rules, text, options);
  const fileMtimeMs = fs.statSync(options.file).mtimeMs;
  const store = await openStore(options);
  try {
    const context = { store, now, file: path.resolve(options.file), fileMtimeMs, who: options.who, resume: options.resume, unleashConfigured: options.unleashConfigured };
    const decisions: RouteDecision[] = [];
    for (const route of routes) decisions.push(await decideRoute(route, context));
    const edit = applyChanges(text, rules, decisions, options.file);
    if (!options.dryRun) {
      if (edit.text !== text) {
        // Someone saved the file while we judged: their edit wins, the next run judges it.
        if (readRulesText(options.file) !== text) throw new CommandError(`${options.file} changed while the rollout judged it; nothing written (run it again)`);
        writeAtomically(options.file, edit.text);
      }
      await record(store, decisions, options, now);
    }
    const rolledBack = decisions.filter((d) => d.verdict === 'rollback').length;
    if (options.json) {
      out(JSON.stringify({
        file: options.file, store: store.location, at: new Date(now).toISOString(), dryRun: options.dryRun, rolledBack,
        changed: edit.text !== text && !options.dryRun, routes: decisions.map(decisionJson), plan: edit.plan,
      }, null, options.watching ? undefined : 2));
    } else {
      if (decisions.length === 0) out(`no route in ${options.file} has a rollout block`);
      for (const decision of decisions) out(formatDecision(decision).join('\n'));
      if (edit.text !== text) {
        const changes = decisions.filter((d) => d.change && d.change.from !== d.change.to).map((d) => `"${d.route}" percent ${d.change!.from} → ${d.change!.to}`);
        out(`${options.dryRun ? `Dry run, nothing written; would update ${options.file}` : `Updated ${options.file}`}: ${changes.join(', ')}\n${formatPlan(edit.plan)}`);
      } else if (options.dryRun) {
        out('Dry run: nothing written.');
      }
    }
    return rolledBack > 0 ? EXIT_ROLLED_BACK : 0;
  } finally {
    await store.close();
  }
}

/**
 * `strangler rollout`: once, or with `watchMs` every that long until SIGINT/SIGTERM. Under --watch
 * a run that fails (the file mid-edit, the store locked) is reported and tried again at the next
 * tick, except the first: a watch that cannot even start says so and exits 1.
 */
export async function runRollout(options: RolloutOptions, watchMs: number | null, out: (line: string) => void, warn: (line: string) => void): Promise<number> {
  if (watchMs === null) return await rolloutOnce(options, out);
  let stopping = false;
  let wake: (() => void) | null = null;
  const stop = (): void => { stopping = true; wake?.(); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let status = 0;
  try {
    for (let run = 0; !stopping; run++) {
      try {
        if (await rolloutOnce({ ...options, watching: true }, out) === EXIT_ROLLED_BACK) status = EXIT_ROLLED_BACK;
      } catch (error) {
        if (run === 0 || !(error instanceof CommandError)) throw error;
        warn(`strangler: ${error.message} (trying again in ${formatDuration(watchMs)})`);
      }
      if (stopping) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, watchMs);
        wake = () => { clearTimeout(timer); resolve(); };
      });
      wake = null;
    }
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
  return status;
}

/** `strangler rollout [ROUTE...] [--once | --watch D] [--dry-run] [--resume] ...`. */
export async function rolloutCommand(call: CommandCall): Promise<number> {
  const { command } = call;
  const { values, positionals } = parse(call, {
    file: { type: 'string' }, db: { type: 'string' }, once: { type: 'boolean' }, watch: { type: 'string' },
    'dry-run': { type: 'boolean' }, resume: { type: 'boolean' }, json: { type: 'boolean' },
  });
  if (values.once && values.watch !== undefined) usageError('--once and --watch cannot both be given', command);
  const watchMs = values.watch === undefined ? null : parseDuration(values.watch);
  if (watchMs === 0 || (values.watch !== undefined && watchMs === null)) usageError(`--watch must be a duration like 30s, 1m or 1h, got "${values.watch}"`, command);
  if (values.resume && positionals.length === 0) usageError('--resume needs the ROUTE(s) to resume', command);
  if (values.resume && watchMs !== null) usageError('--resume judges once: it cannot be combined with --watch', command);
  return runRollout({
    routes: positionals, file: rulesFilePath(values.file), db: values.db ?? defaultDiffDb(), dryRun: Boolean(values['dry-run']),
    resume: Boolean(values.resume), json: Boolean(values.json), who: whoRuns(call.argv), unleashConfigured: Boolean(process.env.UNLEASH_URL),
  }, watchMs, out, warn);
}
