import type { Environment } from '../../proxy/rules/env-vars';
import { formatPlan, planChange, planRoutesOf, type PlanRoute } from '../../proxy/rules/plan';
import { adminUrl, fetchStatus, type ProxyStatus } from './admin-client';
import { checkAdminOption, out, parse, usageError, warn, type CommandCall } from './command-line';
import { environmentOfProxy } from './live-upstreams';
import { compileOrThrow, readRulesText } from './rules-file';

/** The routes a running proxy is serving, as its /status reports them (flags and kill switch applied). */
export function liveRoutes(status: ProxyStatus): PlanRoute[] {
  return status.routes.map((r) => ({ name: r.name, group: r.group, percent: r.percent, killed: r.killed, shadowPercent: r.shadow ? r.shadow.percent : 0, extracted: r.extracted, settings: r.settings ?? {} }));
}

/**
 * `strangler plan [OLD] NEW`: OLD defaults to the rules active in the running proxy. NEW's upstream
 * variables are then resolved as that proxy resolved them, not from this shell, so an upstream
 * shows as changed only when the file changes it.
 */
export async function runPlan(files: string[], options: { json: boolean; admin?: string }, out: (line: string) => void, warn: (line: string) => void): Promise<number> {
  const newFile = files[files.length - 1];
  const newText = readRulesText(newFile);
  let before: PlanRoute[];
  let env: Environment = process.env;
  if (files.length === 2) {
    before = planRoutesOf(compileOrThrow(readRulesText(files[0]), files[0]));
  } else {
    const status = await fetchStatus(adminUrl(options.admin));
    before = liveRoutes(status);
    const resolved = environmentOfProxy(newText, status.upstreams ?? []);
    env = resolved.env;
    if (resolved.unmatched.length > 0) warn(`note: in ${newFile}, upstream(s) ${resolved.unmatched.join(', ')} do not fit the URLs the proxy resolved; their variables are read from this shell`);
  }
  const after = planRoutesOf(compileOrThrow(newText, newFile, env));
  const rows = planChange(before, after);
  if (options.json) out(JSON.stringify({ old: files.length === 2 ? files[0] : adminUrl(options.admin), new: newFile, routes: rows }, null, 2));
  else out(`Plan: ${files.length === 2 ? files[0] : `running proxy (${adminUrl(options.admin)})`} → ${newFile}\n${formatPlan(rows)}`);
  return 0;
}

/** `strangler plan [OLD] NEW [--json] [--admin URL]`. */
export async function planCommand(call: CommandCall): Promise<number> {
  const { values, positionals } = parse(call, { json: { type: 'boolean' }, admin: { type: 'string' } });
  if (positionals.length < 1 || positionals.length > 2) usageError(`plan needs NEW, or OLD and NEW, got ${positionals.length} file(s)`, call.command);
  checkAdminOption(values.admin, call.command);
  return runPlan(positionals, { json: Boolean(values.json), admin: values.admin }, out, warn);
}
