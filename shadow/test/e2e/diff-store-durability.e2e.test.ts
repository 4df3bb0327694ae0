/**
 * The diff store loses nothing it said it kept: a writer killed with SIGKILL mid-batch leaves a
 * sound database whose committed batches are whole, and a lock held by another process makes
 * rows wait (counted as failed flushes, retried), never disappear.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { DIST, tempDir } from '../../../scripts/testing/processes';
import { DiffStore, type DiffRow } from '../../store/diff-store';

const BATCH = 500;

test('SIGKILL in the middle of writing: integrity_check is ok and every committed batch is whole', async () => {
  const file = path.join(tempDir('crash'), 'diffs.sqlite');
  const child = spawn(process.execPath, [path.join(DIST, 'scripts', 'testing', 'diff-writer.js'), file, String(BATCH)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let reported = 0;
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d;
    const last = /batch (\d+)\n(?![\s\S]*batch \d+\n)/.exec(out);
    if (last) reported = Number(last[1]);
  });
  // Let it commit a good number of batches, then kill it while it is surely writing the next one.
  const deadline = Date.now() + 15000;
  while (reported < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  expect(reported).toBeGreaterThanOrEqual(20);

  const db = new Database(file);
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const batches = db.prepare(`SELECT CAST(substr(target, 8, instr(substr(target, 8), '/') - 1) AS INTEGER) AS batch, COUNT(*) AS n
      FROM diffs GROUP BY batch ORDER BY batch`).all() as Array<{ batch: number; n: number }>;
    // Every batch it reported as committed is there, whole; at most one more (committed just
    // before the kill, not yet reported) and it is whole too; no half batch anywhere.
    expect(batches.length).toBeGreaterThanOrEqual(reported);
    expect(batches.length).toBeLessThanOrEqual(reported + 1);
    expect(batches.map((b) => b.batch)).toEqual(batches.map((_b, i) => i + 1));
    expect(batches.every((b) => b.n === BATCH)).toBe(true);
  } finally {
    db.close();
  }
}, 40000);

const row = (i: number): DiffRow => ({
  at: Date.now(), route: 'locked', method: 'GET', target: `/row/${i}`, servedBy: 'legacy', legacyStatus: 200, extractedStatus: 200,
  legacyMs: 1, extractedMs: 1, outcome: 'match', paths: [], noise: [], legacySample: null, extractedSample: null, requestHeaders: {}, source: 'live',
});

/** Another process holding the database: a read transaction, or the write lock, for `ms`. */
async function holdInAnotherProcess(file: string, mode: 'read' | 'write', ms: number): Promise<{ released: Promise<void> }> {
  const script = mode === 'read'
    ? `const D=require('better-sqlite3');const db=new D(${JSON.stringify(file)});db.exec('BEGIN');db.prepare('SELECT COUNT(*) FROM diffs').get();console.log('holding');setTimeout(()=>{db.exec('COMMIT');db.close();},${ms});`
    : `const D=require('better-sqlite3');const db=new D(${JSON.stringify(file)});db.exec('BEGIN IMMEDIATE');console.log('holding');setTimeout(()=>{db.exec('COMMIT');db.close();},${ms});`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return { released: new Promise((resolve) => child.once('exit', () => resolve())) };
}

test('a reader holding a long transaction does not stop writes (WAL)', async () => {
  const file = path.join(tempDir('reader'), 'diffs.sqlite');
  const store = new DiffStore(file, { maxBuffered: 10_000, flushEveryMs: 50, retainMs: 3600_000 });
  await store.open();
  store.start();
  const holder = await holdInAnotherProcess(file, 'read', 1500);
  for (let i = 0; i < 300; i++) store.add(row(i));
  await store.flush();
  expect(store.failedFlushes).toBe(0);
  await holder.released;
  await store.close();
  const db = new Database(file, { readonly: true });
  expect((db.prepare('SELECT COUNT(*) AS n FROM diffs').get() as { n: number }).n).toBe(300);
  db.close();
}, 20000);

test('a write lock held past the busy timeout: the flush fails and is counted, the rows wait and are all written after', async () => {
  const file = path.join(tempDir('locked'), 'diffs.sqlite');
  const store = new DiffStore(file, { maxBuffered: 10_000, flushEveryMs: 1_000_000, retainMs: 3600_000 });
  await store.open();
  const holder = await holdInAnotherProcess(file, 'write', 3000);
  for (let i = 0; i < 200; i++) store.add(row(i));
  await store.flush(); // waits busy_timeout (2 s), then gives up
  expect(store.failedFlushes).toBe(1);
  expect(store.writtenRows).toBe(0);
  expect(store.status()).toMatchObject({ kind: 'sqlite', ok: false, buffered: 200, lastError: expect.stringMatching(/locked|busy/i) });
  await holder.released;
  for (let i = 200; i < 250; i++) store.add(row(i));
  await store.flush();
  expect(store.writtenRows).toBe(250);
  expect(store.status()).toMatchObject({ ok: true, buffered: 0, dropped: 0 });
  await store.close();
  const db = new Database(file, { readonly: true });
  expect((db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT target) AS distinctTargets FROM diffs').get())).toEqual({ n: 250, distinctTargets: 250 });
  db.close();
}, 20000);
