import { EvidenceStoreError, type PercentEvent } from '../../shadow/store/evidence';
import { openEvidenceStore } from '../../shadow/store/open-evidence';
import { redactLocation, redactSecrets } from '../../shadow/store/location';

/**
 * Records a percent change made by `ramp`, `kill` or `unkill`, so `rollout` knows when the step's
 * window started. The file edit is already written: a store that cannot be opened or written only
 * costs a warning (rollout then notices the change from the file's time).
 */
export async function recordPercentChange(db: string, event: PercentEvent, warn: (line: string) => void): Promise<void> {
  let store = null;
  try {
    store = await openEvidenceStore(db, { create: true });
    await store.recordPercentEvent(event);
  } catch (error) {
    const why = error instanceof EvidenceStoreError ? error.message : `the evidence store ${redactLocation(db)}: ${redactSecrets((error as Error).message, db)}`;
    warn(`warning: ${event.file} is changed, but the change is not recorded (${why}); strangler rollout will date it from the file's modification time`);
  } finally {
    await store?.close().catch(() => undefined);
  }
}
