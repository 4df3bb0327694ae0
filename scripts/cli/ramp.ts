import fs from 'node:fs';
import path from 'node:path';
import { DAY_MS } from '../../shadow/store/diff-store';
import { EvidenceStoreError } from '../../shadow/store/evidence';
import { defaultDiffDb, storeKind } from '../../shadow/store/location';
import { openStore } from '../../shadow/store/open-store';
import { readRouteWindow } from '../../shadow/store/route-window';
import type { Store } from '../../shadow/store/store';
import { formatPlan, planChange, planRoutesOf } from '../../proxy/rules/plan';
import { routeNames, setRouteKey } from '../../proxy/rules/edit';
import { AdminUnreachable, adminUrl, fetchMetrics, sumMetric } from './admin-client';
import { checkAdminOption, out, parse, usageError, warn, whoRuns, type CommandCall } from './command-line';
import { recordPercentChange } from './percent-events';
import { CommandError, compileOrThrow, percentInFile, readRulesText, rulesFilePath, unknownRoute, writeAtomically } from './rules-file';

export interface EditOptions {
  file: string; force: boolean; admin?: string; maxErrorRate: number; json: boolean;
  /** --require-proxy: a proxy that cannot be asked for its error rate refuses the raise. */
  requireProxy: boolean;
  /** The evidence store: the mismatch gate reads it, every change is recorded in it. */
  db: string;
  /** The command line and user, recorded with the change. */
  who: string;
}

/** Fewer extracted requests than this say nothing about an error rate. */
const MIN_SAMPLE = 20;

/**
 * Before a percent goes up: the running proxy's error rate for the route's extracted side (5xx
 * answers plus fallbacks, over what extracted was asked) and the diff store's mismatch rate.
 * Returns why the ramp must stop, or null. An unreachable proxy is reported, not fatal (the file
 * may be edited while the proxy is down), unless --require-proxy: then a gate that cannot judge
 * refuses, as the mismatch gate does with a store it cannot read.
 */
async function gate(route: string, budget: number, options: EditOptions, say: (line: string) => void): Promise<string | null> {
  try {
    const metrics = await fetchMetrics(adminUrl(options.admin));
    const ofRoute = (l: Record<string, string>): boolean => l.route === route;
    const served = sumMetric(metrics, 'strangler_requests_total', (l) => ofRoute(l) && l.backend === 'extracted');
    const failed = sumMetric(metrics, 'strangler_requests_total', (l) => ofRoute(l) && l.backend === 'extracted' && Number(l.code) >= 500);
    const fallbacks = sumMetric(metrics, 'strangler_fallbacks_total', ofRoute);
    const asked = served + fallbacks;
    if (asked < MIN_SAMPLE) {
      say(`error rate: ${asked} extracted requests so far, too few to judge (need ${MIN_SAMPLE})`);
    } else {
      const rate = (failed + fallbacks) / asked;
      say(`error rate: ${((rate) * 100).toFixed(2)}% of ${asked} extracted requests (budget ${(options.maxErrorRate * 100).toFixed(2)}%)`);
      if (rate > options.maxErrorRate) return `the extracted side of "${route}" is failing: ${(rate * 100).toFixed(2)}% errors is over the ${(options.maxErrorRate * 100).toFixed(2)}% budget`;
    }
  } catch (error) {
    if (!(error instanceof AdminUnreachable)) throw error;
    say(`error rate: unknown — ${error.message}`);
    if (options.requireProxy) return `the proxy's error rate cannot be read (--require-proxy): ${error.message}`;
  }
  return mismatchGate(route, budget, options.db, say);
}

/**
 * The diff store's mismatch rate for the route over the last day, against its shadow budget: the
 * window's judgement (noise judged over the whole day, answers past the capture cap not counted as
 * compared), the same figures the report shows.
 */
async function mismatchGate(route: string, budget: number, diffDb: string, say: (line: string) => void): Promise<string | null> {
  if (storeKind(diffDb) === 'sqlite' && !fs.existsSync(diffDb)) { say(`mismatch rate: no diff store at ${diffDb} (no shadow comparisons recorded)`); return null; }
  let store: Store;
  try {
    store = await openStore(diffDb, { readonly: true });
  } catch (error) {
    // The gate cannot judge what it cannot read: refusing (unless --force) is safer than raising blind.
    if (error instanceof EvidenceStoreError) { say(`mismatch rate: unknown — ${error.message}`); return `the mismatch rate cannot be read (${error.message})`; }
    throw error;
  }
  try {
    const now = Date.now();
    const window = await readRouteWindow(store, route, now - DAY_MS, now + 1);
    const uncompared = window.truncated > 0 ? ` (${window.truncated} more not compared: past the capture cap)` : '';
    if (window.compared < MIN_SAMPLE) { say(`mismatch rate: ${window.compared} comparisons in the last 24 h${uncompared}, too few to judge (need ${MIN_SAMPLE})`); return null; }
    const rate = window.mismatched / window.compared;
    say(`mismatch rate: ${(rate * 100).toFixed(2)}% of ${window.compared} comparisons in the last 24 h${uncompared} (budget ${(budget * 100).toFixed(2)}%)`);
    return rate > budget ? `the diff store shows ${(rate * 100).toFixed(2)}% mismatches for "${route}", over its ${(budget * 100).toFixed(2)}% budget` : null;
  } finally {
    await store.close();
  }
}

/** `strangler ramp ROUTE PERCENT`, `kill ROUTE`, `unkill ROUTE`: edit in place, validate, write atomically. */
export async function runEdit(route: string, key: 'percent' | 'killed', value: string, options: EditOptions, out: (line: string) => void, warn: (line: string) => void): Promise<number> {
  const text = readRulesText(options.file);
  const before = compileOrThrow(text, options.file);
  const current = before.routes.find((r) => r.name === route);
  if (!current) throw unknownRoute(route, routeNames(text), options.file);
  const raising = key === 'percent' && Number(value) > current.percent;
  // With --json, stdout is one JSON document: the gate's lines go into it instead of before it.
  const gateLines: string[] = [];
  const say = options.json ? (line: string): void => { gateLines.push(line); } : out;
  if (raising) {
    const refusal = await gate(route, current.shadow?.budget ?? 0.01, options, say);
    if (refusal !== null) {
      if (!options.force) throw new CommandError(`refusing to raise "${route}" to ${value}%: ${refusal} (use --force to override)`);
      say(`--force: raising anyway although ${refusal}`);
    }
  }
  if (key === 'percent' && current.flag !== null && !options.json) {
    out(`note: "${route}" has flag: ${current.flag}. When the proxy reads Unleash and knows that flag, the flag's rollout decides and this YAML percent applies only while the flag is unknown; ramp it in Unleash (GET /status shows percentSource).`);
  }
  const edited = setRouteKey(text, route, key, value);
  if (!edited.ok) throw new CommandError(edited.message);
  const after = compileOrThrow(edited.text, options.file);
  const rows = planChange(planRoutesOf(before), planRoutesOf(after));
  if (edited.text !== text) {
    writeAtomically(options.file, edited.text);
    // The percent in force: a killed route is at 0, unkill brings back the file's percent.
    const now = after.routes.find((r) => r.name === route)!;
    const action = key === 'percent' ? 'ramp' : value === 'true' ? 'kill' : 'unkill';
    await recordPercentChange(options.db, { at: Date.now(), route, fromPercent: percentInFile(current), toPercent: percentInFile(now), action, who: options.who, file: path.resolve(options.file) }, warn);
  }
  if (options.json) out(JSON.stringify({ file: options.file, route, [key]: key === 'killed' ? value === 'true' : Number(value), changed: edited.text !== text, gate: gateLines, plan: rows }, null, 2));
  else out(`${edited.text === text ? 'Unchanged' : 'Updated'} ${options.file}: route "${route}" ${key} ${edited.previous ?? '(unset)'} → ${value}\n${formatPlan(rows)}`);
  return 0;
}

/** `strangler ramp ROUTE PERCENT`, `strangler kill ROUTE` and `strangler unkill ROUTE`. */
export async function rampCommand(call: CommandCall): Promise<number> {
  const { command } = call;
  // `ramp ROUTE -5` would reach the option parser as an unknown flag: name the real problem.
  const negative = command === 'ramp' ? call.args.find((arg) => /^-\d/.test(arg)) : undefined;
  if (negative !== undefined) usageError(`PERCENT must be a whole number 0..100, got "${negative}"`, command);
  const { values, positionals } = parse(call, {
    file: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' }, admin: { type: 'string' }, 'max-error-rate': { type: 'string' }, db: { type: 'string' },
    'require-proxy': { type: 'boolean' },
  });
  const wanted = command === 'ramp' ? 2 : 1;
  if (positionals.length !== wanted) usageError(command === 'ramp' ? 'ramp needs ROUTE and PERCENT' : `${command} needs ROUTE`, command);
  let value = command === 'kill' ? 'true' : 'false';
  if (command === 'ramp') {
    value = positionals[1].replace(/%$/, '');
    if (!/^\d{1,3}$/.test(value) || Number(value) > 100) usageError(`PERCENT must be a whole number 0..100, got "${positionals[1]}"`, command);
    value = String(Number(value));
  }
  checkAdminOption(values.admin, command);
  const maxErrorRate = values['max-error-rate'] === undefined ? 0.05 : Number(values['max-error-rate']);
  if (!(maxErrorRate >= 0 && maxErrorRate <= 1)) usageError(`--max-error-rate must be a number from 0 to 1, got "${values['max-error-rate']}"`, command);
  return runEdit(positionals[0], command === 'ramp' ? 'percent' : 'killed', value, {
    file: rulesFilePath(values.file), force: Boolean(values.force), admin: values.admin, maxErrorRate, json: Boolean(values.json),
    requireProxy: Boolean(values['require-proxy']),
    db: values.db ?? defaultDiffDb(), who: whoRuns(call.argv),
  }, out, warn);
}
