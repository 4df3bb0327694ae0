import { EvidenceStoreError, type PercentEvent } from '../shadow/store/evidence';
import { openEvidenceStore } from '../shadow/store/open-evidence';

/**
 * Records a percent change made by `ramp`, `kill` or `unkill`, so `rollout` knows when the step's
 * window started. The file edit is already written: a store that cannot be opened or written only
 * costs a warning (rollout then notices the change from the file's time).
 */
export function recordPercentChange(db: string, event: PercentEvent, warn: (line: string) => void): void {
  let store = null;
  try {
    store = openEvidenceStore(db, { create: true });
    store.recordPercentEvent(event);
  } catch (error) {
    const why = error instanceof EvidenceStoreError ? error.message : `the evidence store ${db}: ${(error as Error).message}`;
    warn(`warning: ${event.file} is changed, but the change is not recorded (${why}); strangler rollout will date it from the file's modification time`);
  } finally {
    store?.close();
  }
}
