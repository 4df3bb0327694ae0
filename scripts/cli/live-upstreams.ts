import { parse as parseYaml } from 'yaml';
import type { Environment } from '../../proxy/rules/env-vars';
import { fetchStatus, type StatusUpstream } from './admin-client';

/** `${NAME}` or `${NAME:-default}`, as the rules loader reads them (proxy/rules/env-vars.ts). */
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The variables a template must have had to give `resolved`: `http://127.0.0.1:${CATALOG_PORT:-3101}`
 * against `http://127.0.0.1:4101` gives CATALOG_PORT=4101. Null when the template's literal text
 * does not fit (the file changed that upstream) or one variable would need two values.
 */
export function variablesOf(template: string, resolved: string): Record<string, string> | null {
  const names: string[] = [];
  let pattern = '';
  let last = 0;
  for (const match of template.matchAll(REFERENCE)) {
    pattern += `${escapeRegExp(template.slice(last, match.index))}(.*?)`;
    names.push(match[1]);
    last = match.index! + match[0].length;
  }
  if (names.length === 0) return null;
  pattern += escapeRegExp(template.slice(last));
  // The proxy keeps an upstream as http://host[:port] (compile.ts): a trailing slash or path is dropped.
  const found = new RegExp(`^${pattern}/?$`).exec(resolved) ?? new RegExp(`^${pattern}/?$`).exec(resolved.replace(/\/+$/, ''));
  if (!found) return null;
  const values: Record<string, string> = {};
  for (const [i, name] of names.entries()) {
    if (values[name] !== undefined && values[name] !== found[i + 1]) return null;
    values[name] = found[i + 1];
  }
  return values;
}

/**
 * The environment in which a rules file resolves its upstreams as the running proxy resolved the
 * same names: each `${VAR}` whose value can be read back from the proxy's /status `upstreams[]`
 * takes that value, over this shell's. The CLI's own shell often lacks the shop's port variables,
 * and reading them from it made every upstream look moved. `unmatched` names the upstreams whose
 * template did not fit the proxy's URL (they resolve in this shell).
 */
export function environmentOfProxy(rulesText: string, live: readonly StatusUpstream[], shell: Environment = process.env): { env: Environment; unmatched: string[] } {
  let raw: unknown;
  try {
    raw = parseYaml(rulesText);
  } catch {
    return { env: shell, unmatched: [] }; // the loader reports the syntax error with its position
  }
  const upstreams = (raw as { upstreams?: unknown } | null)?.upstreams;
  if (typeof upstreams !== 'object' || upstreams === null) return { env: shell, unmatched: [] };
  const inferred: Record<string, string> = {};
  const unmatched: string[] = [];
  for (const [name, template] of Object.entries(upstreams as Record<string, unknown>)) {
    if (typeof template !== 'string' || !template.includes('${')) continue;
    const url = live.find((u) => u.name === name)?.url;
    const values = url === undefined ? null : variablesOf(template, url);
    if (values === null) { if (url !== undefined) unmatched.push(name); continue; }
    Object.assign(inferred, values);
  }
  return { env: { ...shell, ...inferred }, unmatched };
}

/** The running proxy's resolved upstreams, or why they cannot be read. */
export async function proxyUpstreams(admin: string): Promise<{ ok: true; upstreams: StatusUpstream[] } | { ok: false; why: string }> {
  try {
    const status = await fetchStatus(admin);
    // A proxy older than upstreams[] as {name, url} has none to offer.
    return Array.isArray(status.upstreams) ? { ok: true, upstreams: status.upstreams } : { ok: false, why: `the proxy at ${admin} does not report its upstreams` };
  } catch (error) {
    return { ok: false, why: (error as Error).message };
  }
}
