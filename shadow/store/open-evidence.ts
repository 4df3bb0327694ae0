import { EvidenceStoreError, type EvidenceStore } from './evidence';
import { openSqliteEvidence, type OpenOptions } from './sqlite-evidence';

/** The evidence store at a `--db` / `STRANGLER_DIFF_DB` location: a SQLite file (PostgreSQL later). */
export function openEvidenceStore(location: string, options: OpenOptions = {}): EvidenceStore {
  if (/^postgres(ql)?:\/\//i.test(location)) {
    throw new EvidenceStoreError('a PostgreSQL evidence store is not supported yet: give the SQLite file the proxy writes (STRANGLER_DIFF_DB or --db)');
  }
  return openSqliteEvidence(location, options);
}
