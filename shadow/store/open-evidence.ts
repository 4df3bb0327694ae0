import type { EvidenceStore } from './evidence';
import { openStore } from './open-store';
import type { OpenOptions } from './store';

/** The evidence store (the rollout's view of the diff store) at a `--db` / `STRANGLER_DIFF_DB` location. */
export function openEvidenceStore(location: string, options: OpenOptions = {}): Promise<EvidenceStore> {
  return openStore(location, options);
}
