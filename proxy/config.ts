import os from 'node:os';
import path from 'node:path';
import { replicaName, resolveLocation } from '../shadow/store/location';
import type { UnleashSettings } from './flags/unleash-source';

/** Every knob of the proxy process, read from the environment once at start-up. */
export interface ProxyConfig {
  proxyHost: string;
  proxyPort: number;
  adminHost: string;
  adminPort: number;
  /**
   * More `Host` values the admin server answers besides its own address (ADMIN_ALLOWED_HOSTS):
   * in a Kubernetes pod, the pod IP that kubelet's probes and Prometheus's scrapes put in `Host`.
   */
  adminAllowedHosts: readonly string[];
  rulesFile: string;
  overrideToken: string | undefined;
  retryBodyLimit: number;
  maxSocketsPerUpstream: number;
  logLevel: string;
  /** The diff store: a SQLite file (absolute) or a postgres:// URL, password included: never log it, use redactLocation. */
  diffDb: string;
  /** How this process names itself in the diff store's rows (STRANGLER_REPLICA, default hostname:pid). */
  replica: string;
  shadowMaxInFlight: number;
  shadowTimeoutMs: number;
  shadowCaptureBytes: number;
  /** Time a shopper has to send all request headers (slowloris guard). */
  headersTimeoutMs: number;
  /** Time a shopper has to send a whole request, body included (slow-body guard). */
  requestTimeoutMs: number;
  /** Null when UNLEASH_URL is unset: routes with `flag:` then use their YAML percent. */
  unleash: UnleashSettings | null;
  /** Processes serving shoppers (STRANGLER_WORKERS): 1 is a single process; more is a primary and that many node:cluster workers. */
  workers: number;
}

/** Past this many workers a typo (STRANGLER_WORKERS=1000) is more likely than a machine that wants them. */
export const MAX_WORKERS = 256;

/** STRANGLER_WORKERS: a whole number from 1 to MAX_WORKERS, or `auto` (the cores this process may use). */
export function workersFrom(env: NodeJS.ProcessEnv): number {
  const raw = (env.STRANGLER_WORKERS ?? '').trim();
  if (raw === '') return 1;
  if (raw.toLowerCase() === 'auto') return Math.min(os.availableParallelism(), MAX_WORKERS);
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > MAX_WORKERS) {
    throw new Error(`STRANGLER_WORKERS must be a whole number from 1 to ${MAX_WORKERS} or "auto" (one per core), got "${env.STRANGLER_WORKERS}"`);
  }
  return value;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

// A host name, an IPv4 address or an IPv6 address (bare or in brackets), with an optional port.
const HOST_ENTRY = /^(?:[a-z0-9_.-]+|\[[0-9a-f:.]+\]|[0-9a-f:.]*:[0-9a-f:.]*)(?::\d{1,5})?$/i;

/** A comma-separated list of Host values: names or addresses, each with or without a port. */
function hostListFrom(env: NodeJS.ProcessEnv, name: string): string[] {
  const entries = (env[name] ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  const bad = entries.find((entry) => !HOST_ENTRY.test(entry));
  if (bad !== undefined) throw new Error(`${name} must be a comma-separated list of host names or addresses (each with or without :port), got "${bad}"`);
  return entries;
}

export function proxyConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ProxyConfig {
  return {
    proxyHost: env.PROXY_HOST || '0.0.0.0',
    proxyPort: intFrom(env, 'PROXY_PORT', 8080, 0, 65535),
    adminHost: env.ADMIN_HOST || '127.0.0.1',
    adminPort: intFrom(env, 'ADMIN_PORT', 9901, 0, 65535),
    adminAllowedHosts: hostListFrom(env, 'ADMIN_ALLOWED_HOSTS'),
    rulesFile: path.resolve(env.STRANGLER_RULES || 'routing-rules.yaml'),
    overrideToken: env.STRANGLER_OVERRIDE_TOKEN || undefined,
    retryBodyLimit: intFrom(env, 'STRANGLER_RETRY_BODY_LIMIT', 64 * 1024, 0, 16 * 1024 * 1024),
    maxSocketsPerUpstream: intFrom(env, 'STRANGLER_MAX_SOCKETS', 256, 1, 65535),
    logLevel: env.LOG_LEVEL || 'info',
    diffDb: resolveLocation(env.STRANGLER_DIFF_DB || path.join('data', 'diffs.sqlite')),
    replica: replicaName(env),
    shadowMaxInFlight: intFrom(env, 'STRANGLER_SHADOW_MAX_IN_FLIGHT', 64, 1, 10_000),
    shadowTimeoutMs: intFrom(env, 'STRANGLER_SHADOW_TIMEOUT_MS', 2000, 1, 600_000),
    shadowCaptureBytes: intFrom(env, 'STRANGLER_SHADOW_CAPTURE_BYTES', 256 * 1024, 1024, 64 * 1024 * 1024),
    headersTimeoutMs: intFrom(env, 'STRANGLER_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
    requestTimeoutMs: intFrom(env, 'STRANGLER_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
    unleash: unleashFromEnv(env),
    workers: workersFrom(env),
  };
}

function unleashFromEnv(env: NodeJS.ProcessEnv): UnleashSettings | null {
  const url = env.UNLEASH_URL;
  if (!url) return null;
  const protocol = URL.canParse(url) ? new URL(url).protocol : null;
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new Error(`UNLEASH_URL must be an http(s) URL such as http://unleash:4242/api/, got "${url}"`);
  }
  return {
    url,
    apiToken: env.UNLEASH_API_TOKEN || undefined,
    appName: env.UNLEASH_APP_NAME || 'strangler',
    refreshIntervalMs: intFrom(env, 'UNLEASH_REFRESH_INTERVAL_MS', 5000, 100, 3_600_000),
    timeoutMs: intFrom(env, 'UNLEASH_TIMEOUT_MS', 5000, 100, 600_000),
    backupDir: path.resolve(env.UNLEASH_BACKUP_DIR || 'data'),
  };
}
