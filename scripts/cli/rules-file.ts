import fs from 'node:fs';
import path from 'node:path';
import { effectivePercent } from '../../proxy/decide/decide';
import { NO_FLAGS } from '../../proxy/flags/flag-state';
import type { Environment } from '../../proxy/rules/env-vars';
import { loadRules } from '../../proxy/rules/load';
import { closest } from '../../proxy/rules/suggest';
import type { CompiledRoute, CompiledRules } from '../../proxy/rules/types';

export class CommandError extends Error {}

/** The refusal for a route name the file does not have, with the closest name and the list. */
export function unknownRoute(route: string, names: readonly string[], file: string): CommandError {
  const guess = closest(route, [...names]);
  return new CommandError(`unknown route "${route}" in ${file}${guess ? ` (did you mean "${guess}"?)` : ''}; routes: ${names.join(', ')}`);
}

/** The share the file itself gives a route, as the proxy computes it without flags: 0 when killed. */
export function percentInFile(route: CompiledRoute): number {
  return effectivePercent(route, NO_FLAGS).percent;
}

export function rulesFilePath(explicit: string | undefined): string {
  return explicit ?? process.env.STRANGLER_RULES ?? 'routing-rules.yaml';
}

/** Reads a rules file for a command, with one clear line for each way it can fail. */
export function readRulesText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new CommandError(`cannot read ${file}: ${why}`);
  }
}

/** `env` resolves the upstreams' `${VAR:-default}`: this shell's, or the running proxy's (live-upstreams.ts). */
export function compileOrThrow(text: string, file: string, env: Environment = process.env): CompiledRules {
  const result = loadRules(text, file, env);
  if (!result.ok) {
    const first = result.errors[0];
    throw new CommandError(`${file} is invalid (${result.errors.length} error(s)); first: ${first.file}:${first.line}:${first.column}: ${first.message} — run: strangler check ${file}`);
  }
  return result.rules;
}

/**
 * Replaces the file atomically: a temp file in the same directory, then rename, so a watching
 * proxy never reads half a file. Keeps the file's permissions.
 */
export function writeAtomically(file: string, text: string): void {
  const dir = path.dirname(path.resolve(file));
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const mode = fs.statSync(file).mode & 0o777;
  fs.writeFileSync(temp, text, { mode });
  fs.renameSync(temp, file);
}
