import fs from 'node:fs';
import path from 'node:path';
import { formatIssue, loadRules } from '../../proxy/rules/load';
import type { RuleIssue } from '../../proxy/rules/types';
import { out, parse, usageError, type CommandCall } from './command-line';

export type CheckFormat = 'text' | 'json' | 'github';

function githubAnnotation(issue: RuleIssue): string {
  const escape = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const level = issue.level === 'error' ? 'error' : 'warning';
  const message = issue.hint ? `${issue.message} (${issue.hint})` : issue.message;
  return `::${level} file=${issue.file},line=${issue.line},col=${issue.column},title=${issue.code}::${escape(message)}`;
}

/** `strangler check [FILE]`: every error and warning, exit 0 when valid (warnings allowed), 1 on errors. */
export function runCheck(fileArg: string | undefined, format: CheckFormat, out: (line: string) => void): number {
  const file = fileArg ?? process.env.STRANGLER_RULES ?? 'routing-rules.yaml';
  const relative = path.relative(process.cwd(), path.resolve(file));
  const shown = relative.startsWith('..') ? file : relative;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    const issue: RuleIssue = { level: 'error', code: 'RULES_UNREADABLE', file: shown, line: 1, column: 1, message: `cannot read the rules file: ${reason}` };
    emit([issue], format, out, false, shown);
    return 1;
  }
  const result = loadRules(text, shown);
  const issues = result.ok ? [...result.warnings] : [...result.errors, ...result.warnings].sort((a, b) => a.line - b.line || a.column - b.column);
  emit(issues, format, out, result.ok, shown, result.ok ? result.rules.routes.length : 0);
  return result.ok ? 0 : 1;
}

function emit(issues: RuleIssue[], format: CheckFormat, out: (line: string) => void, ok: boolean, file: string, routes = 0): void {
  if (format === 'json') {
    out(JSON.stringify({ ok, errors: issues.filter((i) => i.level === 'error'), warnings: issues.filter((i) => i.level === 'warning') }, null, 2));
    return;
  }
  for (const issue of issues) out(format === 'github' ? githubAnnotation(issue) : formatIssue(issue));
  if (format === 'text') {
    const errors = issues.filter((i) => i.level === 'error').length;
    const warnings = issues.length - errors;
    out(ok ? `${file}: ok: ${routes} routes, ${warnings} warning(s)` : `${file}: invalid: ${errors} error(s), ${warnings} warning(s)`);
  }
}

/** `strangler check [FILE] [--json | --format text|json|github]`. */
export async function checkCommand(call: CommandCall): Promise<number> {
  const { values, positionals } = parse(call, { json: { type: 'boolean' }, format: { type: 'string' } });
  if (positionals.length > 1) usageError(`check takes at most one FILE, got ${positionals.length}`, call.command);
  const format = values.json ? 'json' : (values.format ?? 'text');
  if (format !== 'text' && format !== 'json' && format !== 'github') usageError(`--format must be text, json or github, got "${format}"`, call.command);
  return runCheck(positionals[0], format, out);
}
