/**
 * A diff-store writer for crash tests: writes batches of `size` rows, one transaction each, as
 * fast as it can, and says `batch N` after each commit. Each row's target names its batch, so a
 * reader can check that every committed batch is whole. Run: node diff-writer.js DB SIZE
 */
import { DiffStore, type DiffRow } from '../../shadow/store/diff-store';

const [file, sizeArg] = process.argv.slice(2);
const size = Number(sizeArg);
const store = new DiffStore(file, { maxBuffered: size * 2, flushEveryMs: 1_000_000, retainMs: 365 * 24 * 3600 * 1000, maxBatchRows: size });

const row = (batch: number, i: number): DiffRow => ({
  at: Date.now(), route: 'crash', method: 'GET', target: `/batch/${batch}/row/${i}`, servedBy: 'legacy',
  legacyStatus: 200, extractedStatus: 200, legacyMs: 1, extractedMs: 1, outcome: i % 7 === 0 ? 'mismatch' : 'match',
  paths: i % 7 === 0 ? ['body.price'] : [], noise: [], legacySample: '{"price":1299}'.repeat(8), extractedSample: '{"price":1300}'.repeat(8),
  requestHeaders: { accept: 'application/json' }, source: 'live',
});

async function main(): Promise<void> {
  await store.open();
  for (let batch = 1; ; batch++) {
    for (let i = 0; i < size; i++) store.add(row(batch, i));
    await store.flush();
    if (store.failedFlushes > 0) { process.stderr.write(`flush failed: ${store.lastError}\n`); process.exit(1); }
    process.stdout.write(`batch ${batch}\n`);
  }
}

void main();
