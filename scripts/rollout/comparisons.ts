import type { ShadowCounts, ShadowRow } from '../../shadow/store/evidence';

/**
 * Counts a window's diff rows: match and mismatch are comparisons; truncated answers and failed
 * mirrors are reported, not compared. The one place that decides what a window's mismatch is, so a
 * judge that re-reads the rows with the window's noise can replace it.
 */
export function countComparisons(rows: Iterable<ShadowRow>): ShadowCounts {
  let matches = 0;
  let mismatches = 0;
  let truncated = 0;
  let errors = 0;
  for (const row of rows) {
    if (row.outcome === 'match') matches++;
    else if (row.outcome === 'mismatch') mismatches++;
    else if (row.outcome === 'truncated') truncated++;
    else errors++;
  }
  return { comparisons: matches + mismatches, mismatches, truncated, errors };
}
