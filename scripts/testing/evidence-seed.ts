/**
 * Evidence written the way the proxy writes it (DiffStore.addTraffic, DiffStore.add, flush), for
 * tests that judge a rollout without running traffic.
 */
import { DiffStore, type DiffRow } from '../../shadow/store/diff-store';
import { emptyDelta, latencyBucket, type TrafficBackend, type TrafficDelta } from '../../shadow/store/traffic';

export const MINUTE_MS = 60_000;

export const minuteOf = (at: number): number => Math.floor(at / MINUTE_MS) * MINUTE_MS;

/** `requests` requests in the minute holding `at`, `failures` of them failed, each taking `ms`. */
export function traffic(at: number, route: string, backend: TrafficBackend, requests: number, failures = 0, ms = 5): TrafficDelta {
  const delta = emptyDelta(minuteOf(at), route, backend);
  delta.requests = requests;
  delta.failures = failures;
  delta.latencyMsSum = requests * ms;
  delta.latency[latencyBucket(ms)] = requests;
  return delta;
}

export function diff(at: number, route: string, outcome: DiffRow['outcome'], servedBy: DiffRow['servedBy'] = 'legacy'): DiffRow {
  return {
    at, route, method: 'GET', target: '/api/products/1', servedBy, legacyStatus: 200, extractedStatus: 200, legacyMs: 5, extractedMs: 5, outcome,
    paths: outcome === 'mismatch' ? ['body.price'] : outcome === 'truncated' ? ['body(truncated)'] : [], noise: [], legacySample: null, extractedSample: null, requestHeaders: {}, source: 'live',
  };
}

/** Opens (creating and migrating) the store at `location` (a file or a PostgreSQL URL), writes the evidence, closes it. */
export async function seedStore(location: string, evidence: { traffic?: readonly TrafficDelta[]; diffs?: readonly DiffRow[] }, replica = 'seed'): Promise<void> {
  const store = new DiffStore(location, undefined, replica);
  await store.open();
  store.addTraffic(evidence.traffic ?? []);
  for (const row of evidence.diffs ?? []) store.add(row);
  await store.close();
  if (store.droppedRows > 0) throw new Error(`seeding ${store.location} dropped ${store.droppedRows} rows: ${store.lastError}`);
}
