import { storeKind } from './location';
import type { OpenOptions, Store } from './store';

/**
 * The store at a `--db` / `STRANGLER_DIFF_DB` location: a SQLite file or a PostgreSQL URL. The
 * driver is loaded here, on first use, so a module that only names a store loads neither.
 * Failures are EvidenceStoreError with one clear line (and never the URL's password).
 */
export async function openStore(location: string, options: OpenOptions = {}): Promise<Store> {
  if (storeKind(location) === 'postgres') {
    const { openPostgresStore } = await import('./postgres-store');
    return openPostgresStore(location, options);
  }
  const { openSqliteStore } = await import('./sqlite-store');
  return openSqliteStore(location, options);
}
