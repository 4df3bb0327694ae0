import { formatPlan, planChange, planRoutesOf, type PlanRoute } from '../proxy/rules/plan';
import { adminUrl, fetchStatus } from './admin-client';
import { compileOrThrow, readRulesText } from './rules-file';

/** The routes a running proxy is serving, as its /status reports them (flags and kill switch applied). */
export async function liveRoutes(admin: string): Promise<PlanRoute[]> {
  const status = await fetchStatus(admin);
  return status.routes.map((r) => ({ name: r.name, group: r.group, percent: r.percent, killed: r.killed, shadowPercent: r.shadow ? r.shadow.percent : 0, extracted: r.extracted, settings: r.settings ?? {} }));
}

/** `strangler plan [OLD] NEW`: OLD defaults to the rules active in the running proxy. */
export async function runPlan(files: string[], options: { json: boolean; admin?: string }, out: (line: string) => void): Promise<number> {
  const newFile = files[files.length - 1];
  const after = planRoutesOf(compileOrThrow(readRulesText(newFile), newFile));
  const before = files.length === 2 ? planRoutesOf(compileOrThrow(readRulesText(files[0]), files[0])) : await liveRoutes(adminUrl(options.admin));
  const rows = planChange(before, after);
  if (options.json) out(JSON.stringify({ old: files.length === 2 ? files[0] : adminUrl(options.admin), new: newFile, routes: rows }, null, 2));
  else out(`Plan: ${files.length === 2 ? files[0] : `running proxy (${adminUrl(options.admin)})`} → ${newFile}\n${formatPlan(rows)}`);
  return 0;
}
