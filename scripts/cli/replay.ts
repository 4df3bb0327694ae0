import crypto from 'node:crypto';
import path from 'node:path';
import { loadRules } from '../../proxy/rules/load';
import type { CompiledRules } from '../../proxy/rules/types';
import { Mirror } from '../../shadow/mirror';
import { noOutcomes } from '../../shadow/outcomes';
import { DAY_MS, DEFAULT_STORE_OPTIONS, DiffStore } from '../../shadow/store/diff-store';
import { replicaName } from '../../shadow/store/location';
import { ADMIN_HINT, adminUrl, fetchStatus } from './admin-client';
import { checkAdminOption, noArguments, out, parse, warn, type CommandCall } from './command-line';
import { environmentOfProxy } from './live-upstreams';
import { FailureRecordingClient } from './replay-failures';
import { CommandError, readRulesText, unknownRoute } from './rules-file';
import { openExistingStore, sinceOption, storeAndRules } from './report';

export interface ReplayOptions { sinceMs: number; route?: string; db: string; rules: string; concurrency: number; timeoutMs: number; admin?: string }

/** The rules, with their upstreams where the running proxy has them, and where those came from. */
interface ReplayRules { rules: CompiledRules; origin: (upstream: string, fromFile: string) => string; source: string; note: string | null }

/**
 * The upstream URLs to replay against. The rules' `${VAR:-default}` resolved in this shell would
 * often be the wrong ports (the shop's port variables live in the shell that started it), so when
 * the proxy at --admin serves this same rules file, its resolved URLs are used; otherwise this
 * shell's, and a note says so when requests fail (a clean replay prints nothing on stderr).
 */
async function replayRules(options: ReplayOptions): Promise<ReplayRules> {
  const text = readRulesText(options.rules);
  const admin = adminUrl(options.admin);
  let status;
  let why: string;
  try {
    status = await fetchStatus(admin);
    const same = path.resolve(status.file) === path.resolve(options.rules) || status.hash === crypto.createHash('sha256').update(text).digest('hex');
    why = !same ? `it serves ${status.file}, not ${options.rules}` : !Array.isArray(status.upstreams) ? 'it does not report its upstreams' : '';
  } catch (error) {
    why = (error as Error).message;
  }
  const live = why === '' ? status!.upstreams! : [];
  const env = why === '' ? environmentOfProxy(text, live).env : process.env;
  const result = loadRules(text, options.rules, env);
  if (!result.ok) throw new CommandError(`replay needs a valid rules file for the upstream addresses: ${options.rules} is invalid (run strangler check ${options.rules})`);
  if (why !== '') {
    return {
      rules: result.rules, origin: (_name, fromFile) => fromFile, source: `${options.rules} resolved in this shell; to use the running proxy's: ${ADMIN_HINT}`,
      note: `note: upstream URLs from ${options.rules} as this shell resolves them, not from the running proxy at ${admin} (${why})`,
    };
  }
  const byName = new Map(live.map((u) => [u.name, u.url]));
  return { rules: result.rules, origin: (name, fromFile) => byName.get(name) ?? fromFile, source: `the running proxy at ${admin}`, note: null };
}

/**
 * `strangler replay`: the captured reads (stored without their secrets) are sent again to legacy,
 * legacy once more for noise, and extracted, then compared and stored like live traffic, so a fix
 * on the extracted side can be checked before the next night. When every request fails, it says
 * why (the failures by upstream URL) and exits 1.
 */
export async function runReplay(options: ReplayOptions, out: (line: string) => void, warn: (line: string) => void): Promise<number> {
  const { rules, origin, source, note } = await replayRules(options);
  if (options.route !== undefined && !rules.routes.some((r) => r.name === options.route)) throw unknownRoute(options.route, rules.routes.map((r) => r.name), options.rules);
  const reader = await openExistingStore(options.db);
  // Results are written the way the proxy writes them: buffered, in batches, named by this replica.
  const store = new DiffStore(options.db, { ...DEFAULT_STORE_OPTIONS, retainMs: 30 * DAY_MS }, replicaName(), async () => reader);
  const client = new FailureRecordingClient(options.timeoutMs, 256 * 1024);
  const legacyOrigin = origin(rules.legacy.name, rules.legacy.url);
  const counts = noOutcomes();
  try {
    const captured = await reader.capturedReads(Date.now() - options.sinceMs, options.route ?? null);
    const mirror = new Mirror(client, store, { outcome: (_route, outcome) => { counts[outcome]++; } }, options.concurrency);
    const queue = captured.filter((c) => {
      const known = rules.routes.some((r) => r.name === c.route);
      if (!known) warn(`skipping ${c.method} ${c.target}: route "${c.route}" is not in ${options.rules}`);
      return known;
    });
    const worker = async (): Promise<void> => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
        const route = rules.routes.find((r) => r.name === item!.route)!;
        const headers = item.headers;
        let served;
        try {
          served = await client.send({ origin: legacyOrigin, method: item.method, target: item.target, headers, body: null, dryRun: false });
        } catch {
          counts.error++;
          continue;
        }
        await mirror.run({
          at: Date.now(), route: route.name, config: { ignore: route.shadow?.ignore ?? [], arrayKeys: route.shadow?.arrayKeys ?? {}, normalisers: route.shadow?.normalisers ?? [] },
          legacyOrigin, extractedOrigin: origin(route.extracted.name, route.extracted.url), method: item.method, target: item.target, headers, body: null,
          servedBy: 'legacy', served, source: 'replay',
        });
      }
    };
    const total = queue.length;
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
    await store.flush();
    if (store.buffered > 0) throw new CommandError(`the diff store ${store.location} did not take the replayed rows: ${store.lastError ?? 'unknown error'}`);
    out(`replayed ${total} captured request(s)${options.route ? ` of route ${options.route}` : ''}: ${counts.match} match, ${counts.mismatch} mismatch, ${counts.truncated} truncated, ${counts.error} error`);
    if (counts.error === 0) return 0;
    if (note !== null) warn(note);
    warn(`failed sends, by upstream and error (upstream URLs from ${source}):`);
    for (const line of client.failureLines()) warn(line);
    if (counts.error < total) return 0;
    throw new CommandError(`every replayed request failed: is the shop running at those URLs?`);
  } finally {
    await client.close();
    await store.close();
  }
}

/** `strangler replay [--since 24h] [--route NAME] [--db STORE] [--rules FILE] [--admin URL]`. */
export async function replayCommand(call: CommandCall): Promise<number> {
  const { values, positionals } = parse(call, {
    since: { type: 'string' }, route: { type: 'string' }, db: { type: 'string' }, rules: { type: 'string' }, admin: { type: 'string' },
  });
  noArguments(positionals, call.command);
  const sinceMs = sinceOption(values.since, call.command);
  checkAdminOption(values.admin, call.command);
  return runReplay({ sinceMs, route: values.route, ...storeAndRules(values), concurrency: 8, timeoutMs: 5000, admin: values.admin }, out, warn);
}
