import type { PositionedDocument } from './positions';
import type { RuleIssue } from './types';

/** `${NAME}` or `${NAME:-default}`, as a shell writes them. */
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Upstream URLs may name environment variables, so moving a service with its documented port
 * variable (`LEGACY_PORT=4001`) moves the rules with it: `http://127.0.0.1:${LEGACY_PORT:-3001}`.
 * As in a shell, `:-` takes the default when the variable is unset or empty. A variable that is
 * unset and has no default is an error at its line and column; the value is left without it, so
 * the other checks still run (and their complaint about that same value is dropped as a
 * consequence, see `loadRules`).
 */
export function resolveUpstreamVariables(data: unknown, doc: PositionedDocument, file: string, env: Environment): RuleIssue[] {
  const issues: RuleIssue[] = [];
  if (typeof data !== 'object' || data === null) return issues;
  const upstreams = (data as { upstreams?: unknown }).upstreams;
  if (typeof upstreams !== 'object' || upstreams === null) return issues;
  const table = upstreams as Record<string, unknown>;
  for (const [name, value] of Object.entries(table)) {
    if (typeof value !== 'string' || !value.includes('${')) continue;
    table[name] = value.replace(REFERENCE, (_whole: string, variable: string, fallback: string | undefined, offset: number) => {
      const set = env[variable];
      if (set !== undefined && (set !== '' || fallback === undefined)) return set;
      if (fallback !== undefined) return fallback;
      const start = doc.textAt(['upstreams', name]);
      issues.push({
        level: 'error', code: 'RULES_UNSET_VARIABLE', file, line: start.line, column: start.column + offset,
        message: `upstream "${name}" uses \${${variable}}, which is not set`,
        hint: `set ${variable}, or give a default: \${${variable}:-…}`,
      });
      return '';
    });
  }
  return issues;
}
