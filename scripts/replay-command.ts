import { ShadowClient } from '../shadow/client';
import { Mirror } from '../shadow/mirror';
import { noOutcomes } from '../shadow/outcomes';
import { DAY_MS, DEFAULT_STORE_OPTIONS, DiffStore } from '../shadow/store/diff-store';
import { replicaName } from '../shadow/store/location';
import { CommandError, unknownRoute } from './rules-file';
import { openExistingStore, rulesIfValid } from './report-command';

export interface ReplayOptions { sinceMs: number; route?: string; db: string; rules: string; concurrency: number; timeoutMs: number }

/**
 * `strangler replay`: the captured reads (stored without their secrets) are sent again to legacy,
 * legacy once more for noise, and extracted, then compared and stored like live traffic, so a fix
 * on the extracted side can be checked before the next night.
 */
export async function runReplay(options: ReplayOptions, out: (line: string) => void, warn: (line: string) => void): Promise<number> {
  const rules = rulesIfValid(options.rules, warn);
  if (rules === null) throw new CommandError(`replay needs a valid rules file for the upstream addresses: ${options.rules}`);
  if (options.route !== undefined && !rules.routes.some((r) => r.name === options.route)) throw unknownRoute(options.route, rules.routes.map((r) => r.name), options.rules);
  const reader = await openExistingStore(options.db);
  // Results are written the way the proxy writes them: buffered, in batches, named by this replica.
  const store = new DiffStore(options.db, { ...DEFAULT_STORE_OPTIONS, retainMs: 30 * DAY_MS }, replicaName(), async () => reader);
  const client = new ShadowClient(options.timeoutMs, 256 * 1024);
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
          served = await client.send({ origin: rules.legacy.url, method: item.method, target: item.target, headers, body: null, dryRun: false });
        } catch {
          counts.error++;
          continue;
        }
        await mirror.run({
          at: Date.now(), route: route.name, config: { ignore: route.shadow?.ignore ?? [], arrayKeys: route.shadow?.arrayKeys ?? {}, normalisers: route.shadow?.normalisers ?? [] },
          legacyOrigin: rules.legacy.url, extractedOrigin: route.extracted.url, method: item.method, target: item.target, headers, body: null,
          servedBy: 'legacy', served, source: 'replay',
        });
      }
    };
    const total = queue.length;
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
    await store.flush();
    if (store.buffered > 0) throw new CommandError(`the diff store ${store.location} did not take the replayed rows: ${store.lastError ?? 'unknown error'}`);
    out(`replayed ${total} captured request(s)${options.route ? ` of route ${options.route}` : ''}: ${counts.match} match, ${counts.mismatch} mismatch, ${counts.truncated} truncated, ${counts.error} error`);
    return 0;
  } finally {
    await client.close();
    await store.close();
  }
}
