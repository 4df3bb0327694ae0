/**
 * Where the diff store is (`STRANGLER_DIFF_DB`, every command's `--db`): a file path (SQLite) or a
 * `postgres://` / `postgresql://` URL (PostgreSQL). Pure and dependency-free, so the shoppers'
 * thread can name the store (logs, /status) without loading better-sqlite3 or pg.
 *
 * A URL may carry a password. It is only ever shown redacted (`postgres://user:***@host/db`), and
 * every error message that leaves a store goes through `redactSecrets` first.
 */
import os from 'node:os';
import path from 'node:path';

export type StoreKind = 'sqlite' | 'postgres';

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

export function storeKind(location: string): StoreKind {
  return POSTGRES_URL.test(location) ? 'postgres' : 'sqlite';
}

/** A file path made absolute; a URL as given. */
export function resolveLocation(location: string): string {
  return storeKind(location) === 'postgres' ? location : path.resolve(location);
}

/** STRANGLER_DIFF_DB, else ./data/diffs.sqlite (absolute). */
export function defaultDiffDb(env: NodeJS.ProcessEnv = process.env): string {
  return env.STRANGLER_DIFF_DB || path.resolve('data', 'diffs.sqlite');
}

/** The password in a PostgreSQL URL, decoded, or null. */
export function passwordOf(location: string): string | null {
  if (storeKind(location) !== 'postgres') return null;
  const match = /^[a-z]+:\/\/[^/?#]*?:([^@/?#]*)@/i.exec(location);
  if (!match || match[1] === '') return null;
  try { return decodeURIComponent(match[1]); } catch { return match[1]; }
}

/**
 * The location as it may be shown: a PostgreSQL URL with its password (in the user part and in a
 * `password=` query parameter) replaced by `***`; a file path as it is.
 */
export function redactLocation(location: string): string {
  if (storeKind(location) !== 'postgres') return location;
  return location
    .replace(/^([a-z]+:\/\/[^/?#]*?):[^@/?#]*@/i, '$1:***@')
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/**
 * `text` (an error message, a log line) with the store's password taken out wherever it appears:
 * as written in the URL, decoded, or inside a copy of the URL.
 */
export function redactSecrets(text: string, location: string): string {
  if (storeKind(location) !== 'postgres') return text;
  let out = text.split(location).join(redactLocation(location));
  const raw = /^[a-z]+:\/\/[^/?#]*?:([^@/?#]*)@/i.exec(location)?.[1];
  const secrets = new Set([raw, passwordOf(location), /[?&]password=([^&#]*)/i.exec(location)?.[1]].filter((s): s is string => typeof s === 'string' && s.length > 0));
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join('***');
  // Any other PostgreSQL URL with a password that found its way into the text.
  return out.replace(/(postgres(?:ql)?:\/\/[^/?#\s:@]*):[^@/?#\s]*@/gi, '$1:***@');
}

/** How a proxy process names itself in the store: STRANGLER_REPLICA, else `hostname:pid`. */
export function replicaName(env: NodeJS.ProcessEnv = process.env): string {
  return env.STRANGLER_REPLICA || `${os.hostname()}:${process.pid}`;
}
