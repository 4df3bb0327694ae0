import type { ShadowRow } from '../../../shadow/store/evidence';
import { countComparisons } from '../../cli/rollout/comparisons';

async function* each(rows: readonly ShadowRow[]): AsyncIterable<ShadowRow> { yield* rows; }

const row = (outcome: ShadowRow['outcome'], paths: string[], noise: string[]): ShadowRow => ({ at: 1, method: 'GET', outcome, servedBy: 'legacy', paths, noise });

test('the rollout gate judges noise over the window: a field legacy varies on as often as extracted is not a mismatch', async () => {
  // body.cache differs between legacy's own two answers on 30 of 100 reads, and from extracted on 31:
  // noise, so the requests where legacy happened to agree with itself are no mismatch either.
  const rows: ShadowRow[] = [];
  for (let i = 0; i < 100; i++) {
    const differs = i < 31 ? ['body.cache'] : [];
    const selfDiffers = i >= 1 && i < 31 ? ['body.cache'] : [];
    rows.push(row(differs.length > selfDiffers.length ? 'mismatch' : 'match', differs, selfDiffers));
  }
  expect(await countComparisons(() => each(rows))).toEqual({ comparisons: 100, mismatches: 0, truncated: 0, errors: 0 });
});

test('a field extracted gets wrong now and then while legacy always agrees with itself stays a mismatch', async () => {
  const rows: ShadowRow[] = [];
  for (let i = 0; i < 100; i++) rows.push(i < 3 ? row('mismatch', ['body.price'], []) : row('match', [], []));
  rows.push(row('truncated', ['body(truncated)'], []));
  expect(await countComparisons(() => each(rows))).toEqual({ comparisons: 100, mismatches: 3, truncated: 1, errors: 0 });
});
