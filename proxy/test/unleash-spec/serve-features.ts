import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AtomicBackupStorage } from '../../flags/backup-storage';
import { UnleashFlagSource } from '../../flags/unleash-source';
import type { FlagSnapshot } from '../../flags/flag-state';
import { tempDir } from '../../../scripts/testing/processes';
import { until } from '../../../scripts/testing/wait';

/** A client features response (GET /api/client/features), as an Unleash server sends it. */
export interface ClientFeatures {
  readonly version?: number;
  readonly features: ReadonlyArray<Record<string, unknown> & { name: string }>;
  readonly segments?: readonly unknown[];
}

/** A loopback stand-in for Unleash's client API: `/<key>/api/client/features` answers that key's state. */
export async function serveClientFeatures(states: ReadonlyMap<string, ClientFeatures>): Promise<{ apiUrl(key: string): string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const match = /^\/([^/]+)\/api\/client\/features(\?|$)/.exec(req.url ?? '');
    const state = match ? states.get(decodeURIComponent(match[1])) : undefined;
    res.writeHead(state ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(state ?? { error: 'no such state' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiUrl: (key) => `http://127.0.0.1:${port}/${encodeURIComponent(key)}/api/`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

export const SPEC_APP_NAME = 'strangler-spec';

/** The proxy's own flag source (unleash-client inside) after its first fetch from `apiUrl`. */
export async function fetchedFlags(apiUrl: string): Promise<{ snapshot: FlagSnapshot; stop(): Promise<void> }> {
  let fetched = false;
  let failure: string | null = null;
  const backupDir = tempDir('unleash-spec');
  // unleash-client arms its next poll only after writing the backup, and under jest that timer is
  // not unref'd: a source stopped before then would keep jest alive until the poll. So wait for
  // the backup, and keep the poll short enough to bound a straggler.
  const source = new UnleashFlagSource(
    { url: apiUrl, apiToken: undefined, appName: SPEC_APP_NAME, refreshIntervalMs: 5000, timeoutMs: 5000, backupDir },
    { fetched: () => { fetched = true; }, failed: (message) => { failure = message; }, loadedBackup: () => undefined, warned: () => undefined },
  );
  try {
    await until(`the first fetch from ${apiUrl}`, () => { if (failure !== null) throw new Error(failure); return fetched; }, 10_000);
    await until('the backup of the first fetch', () => fs.existsSync(new AtomicBackupStorage(backupDir).fileFor(SPEC_APP_NAME)), 10_000);
  } catch (error) {
    await source.stop();
    throw error;
  }
  return { snapshot: source.current(), stop: () => source.stop() };
}
