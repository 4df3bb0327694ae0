import crypto from 'node:crypto';
import { compileRules } from './compile';
import { resolveUpstreamVariables, type Environment } from './env-vars';
import { PositionedDocument } from './positions';
import { schemaIssues } from './schema-issues';
import { semanticIssues } from './semantic-issues';
import type { LoadResult, RawRules, RuleIssue } from './types';

/**
 * The one entry point for rules, used by the proxy and the CLI alike:
 * parse (with positions) -> validate (every issue, not the first) -> compile -> freeze.
 * Pure: no file system, no clock; the environment (for `${VAR}` in upstream URLs) is an input.
 * An invalid file yields every error and no table.
 */
export function loadRules(text: string, file: string, env: Environment = process.env): LoadResult {
  const at = (message: string, code: string, line = 1, column = 1): RuleIssue => ({ level: 'error', code, file, line, column, message });
  if (text.trim() === '') {
    return { ok: false, errors: [at('the rules file is empty; it must define version, upstreams and routes', 'RULES_EMPTY')], warnings: [] };
  }
  const doc = PositionedDocument.parse(text);
  if (doc.doc.errors.length > 0) {
    const errors = doc.doc.errors.map((e) => {
      const pos = doc.at(e.pos[0]);
      return at(`YAML syntax: ${e.message.split('\n')[0]}`, 'RULES_YAML_SYNTAX', pos.line, pos.column);
    });
    return { ok: false, errors, warnings: [] };
  }
  const data: unknown = doc.doc.toJS({ maxAliasCount: 100 });
  if (data === null || data === undefined) {
    return { ok: false, errors: [at('the rules file has no content; it must define version, upstreams and routes', 'RULES_EMPTY')], warnings: [] };
  }
  const unset = resolveUpstreamVariables(data, doc, file, env);
  // A value missing its variable also fails the URL check; that complaint adds nothing, so it goes.
  const consequence = (issue: RuleIssue): boolean => unset.some((u) => u.line === issue.line && issue.message.startsWith(`upstream "`));
  const issues = [...unset, ...[...schemaIssues(data, doc, file), ...semanticIssues(data, doc, file)].filter((i) => !consequence(i))]
    .sort((a, b) => a.line - b.line || a.column - b.column);
  const errors = issues.filter((i) => i.level === 'error');
  const warnings = issues.filter((i) => i.level === 'warning');
  if (errors.length > 0) return { ok: false, errors, warnings };
  const hash = crypto.createHash('sha256').update(text).digest('hex');
  return { ok: true, rules: compileRules(data as RawRules, file, hash), warnings };
}

/** `file:line:col: level: message (hint)`, the format `strangler check` prints. */
export function formatIssue(issue: RuleIssue): string {
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.level}: ${issue.message}${issue.hint ? ` (${issue.hint})` : ''}`;
}
