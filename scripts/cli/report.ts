import fs from 'node:fs';
import path from 'node:path';
import { parseDuration } from '../../proxy/rules/duration';
import { loadRules } from '../../proxy/rules/load';
import type { CompiledRules } from '../../proxy/rules/types';
import { buildReport, type GuardInForce } from '../../shadow/report/model';
import { renderHtml } from '../../shadow/report/render-html';
import { renderMarkdown } from '../../shadow/report/render-md';
import { EvidenceStoreError } from '../../shadow/store/evidence';
import { defaultDiffDb, storeKind } from '../../shadow/store/location';
import { openStore } from '../../shadow/store/open-store';
import type { Store } from '../../shadow/store/store';
import { noArguments, out, parse, usageError, warn, type CommandCall } from './command-line';
import { reportRollouts } from './rollout/report-rollout';
import { CommandError, percentInFile, rulesFilePath } from './rules-file';

export interface ReportOptions { sinceMs: number; out: string; db: string; rules: string; retainMs: number; json: boolean }

/** The rules, when they can be read, for budgets and upstreams; reports still run without them. */
export function rulesIfValid(file: string, warn: (line: string) => void): CompiledRules | null {
  if (!fs.existsSync(file)) { warn(`note: no rules file at ${file}; budgets default to 1%`); return null; }
  const result = loadRules(fs.readFileSync(file, 'utf8'), file);
  if (!result.ok) { warn(`note: ${file} is invalid; budgets default to 1% (run strangler check ${file})`); return null; }
  return result.rules;
}

/**
 * The store at `db`, migrated to this version (the report prunes it, replay writes to it): a
 * SQLite file must exist already; a PostgreSQL database is reached, or this says why not.
 */
export async function openExistingStore(db: string): Promise<Store> {
  if (storeKind(db) === 'sqlite' && !fs.existsSync(db)) throw new CommandError(`no diff store at ${db}: no shadow traffic has been recorded yet (set STRANGLER_DIFF_DB or --db)`);
  try {
    return await openStore(db);
  } catch (error) {
    if (error instanceof EvidenceStoreError) throw new CommandError(error.message);
    throw error;
  }
}

/** Each rollout route's step, last verdict and retirement readiness; none without valid rules. */
async function rolloutsOf(rules: CompiledRules | null, store: Store, options: ReportOptions, now: number): ReturnType<typeof reportRollouts> {
  if (rules === null || rules.routes.every((r) => r.rollout === null)) return new Map();
  return reportRollouts(rules, store, fs.statSync(options.rules).mtimeMs, now);
}

/** Each route with a conversion guard, at the percent in the rules file (a killed route is at 0); none without valid rules. */
function guardsOf(rules: CompiledRules | null): Map<string, GuardInForce> {
  return new Map((rules?.routes ?? []).flatMap((r) => (r.rollout?.guard ? [[r.name, { guard: r.rollout.guard, percent: percentInFile(r) }] as const] : [])));
}

/** `strangler report`: report.html, report.md and report.json; exit 1 when a route is over budget. */
export async function runReport(options: ReportOptions, out: (line: string) => void, warn: (line: string) => void): Promise<number> {
  const rules = rulesIfValid(options.rules, warn);
  const budgets = new Map((rules?.routes ?? []).flatMap((r) => (r.shadow ? [[r.name, r.shadow.budget] as const] : [])));
  const store = await openExistingStore(options.db);
  try {
    const pruned = await store.prune(Date.now() - options.retainMs);
    if (pruned > 0) warn(`pruned ${pruned} rows older than the retention`);
    const until = Date.now();
    const report = await buildReport(store, store.location, until - options.sinceMs, until + 1, budgets, undefined, await rolloutsOf(rules, store, options, until), undefined, guardsOf(rules));
    fs.mkdirSync(options.out, { recursive: true });
    fs.writeFileSync(path.join(options.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    const markdown = renderMarkdown(report);
    fs.writeFileSync(path.join(options.out, 'report.md'), markdown);
    fs.writeFileSync(path.join(options.out, 'report.html'), renderHtml(report));
    if (options.json) out(JSON.stringify(report, null, 2));
    else out(`${markdown}\nwritten: ${['report.html', 'report.md', 'report.json'].map((f) => path.join(options.out, f)).join(', ')}`);
    return report.ok ? 0 : 1;
  } finally {
    await store.close();
  }
}

/** `--since` (default 24h) in milliseconds; report and replay read the same window. */
export function sinceOption(since: string | undefined, command: string): number {
  const ms = parseDuration(since ?? '24h');
  if (ms === null) usageError(`--since must be a duration like 90m, 24h or 7d, got "${since}"`, command);
  return ms;
}

/** The diff store and the rules file that report and replay read: --db and --rules, else the defaults. */
export function storeAndRules(values: { db?: string; rules?: string }): { db: string; rules: string } {
  return { db: values.db ?? defaultDiffDb(), rules: values.rules ?? rulesFilePath(undefined) };
}

/** `strangler report [--since 24h] [--out DIR] [--db STORE] [--rules FILE] [--retain 30d] [--json]`. */
export async function reportCommand(call: CommandCall): Promise<number> {
  const { values, positionals } = parse(call, {
    since: { type: 'string' }, out: { type: 'string' }, db: { type: 'string' }, rules: { type: 'string' }, retain: { type: 'string' }, json: { type: 'boolean' },
  });
  noArguments(positionals, call.command);
  const sinceMs = sinceOption(values.since, call.command);
  const retainMs = parseDuration(values.retain ?? '30d');
  if (retainMs === null) usageError(`--retain must be a duration like 30d, got "${values.retain}"`, call.command);
  const where = storeAndRules(values);
  return runReport({ sinceMs, out: values.out ?? path.join('data', 'report'), ...where, retainMs, json: Boolean(values.json) }, out, warn);
}
