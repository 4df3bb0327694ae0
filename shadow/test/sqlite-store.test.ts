/**
 * The SQLite store: the shared store suite (store-suite.ts) on files, and what only a file can get
 * wrong (missing, not a database, older than the evidence tables, written before replicas).
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../scripts/testing/processes';
import { EvidenceStoreError } from '../store/evidence';
import { openEvidenceStore } from '../store/open-evidence';
import { openStore } from '../store/open-store';
import { SCHEMA_VERSION } from '../store/schema';
import { storeSuite } from './store-suite';

const storeFile = (): string => path.join(tempDir('store'), 'diffs.sqlite');

storeSuite({
  kind: 'sqlite',
  fresh: async () => storeFile(),
  setSchemaVersion: async (file, version) => {
    const db = new Database(file);
    db.pragma(`user_version = ${version}`);
    db.close();
  },
  exec: async (file, sql) => {
    const db = new Database(file);
    try { db.exec(sql); } finally { db.close(); }
  },
  tables: async (file) => {
    const db = new Database(file, { readonly: true });
    try { return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name); } finally { db.close(); }
  },
});

describe('a SQLite store that cannot be used is one clear error', () => {
  test('missing (unless asked to create it), not a database, older than the evidence tables when read only', async () => {
    const file = storeFile();
    await expect(openEvidenceStore(file)).rejects.toThrow(new EvidenceStoreError(`no evidence store at ${file}: the proxy writes its counters and comparisons there (set STRANGLER_DIFF_DB or --db)`));
    const created = path.join(path.dirname(file), 'new', 'diffs.sqlite');
    await (await openEvidenceStore(created, { create: true })).close();
    expect(fs.existsSync(created)).toBe(true);
    fs.writeFileSync(file, 'this is not a database, it is a text file that is long enough to have a header\n'.repeat(20));
    await expect(openEvidenceStore(file)).rejects.toThrow(/^cannot use the evidence store .*diffs\.sqlite: file is not a database$/);
    const old = path.join(path.dirname(file), 'old.sqlite');
    const db = new Database(old);
    db.pragma('user_version = 1');
    db.close();
    await expect(openEvidenceStore(old, { readonly: true })).rejects.toThrow(/its schema version is 1, older than the evidence tables \(2\)/);
  });
});

test('migration 3 keeps what version 2 stored: rows and counters are named by replica "" and still summed', async () => {
  const file = storeFile();
  const db = new Database(file);
  // Version 2's tables as an older strangler left them, with a row and counters in them.
  db.exec(`CREATE TABLE diffs (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, route TEXT NOT NULL, method TEXT NOT NULL, target TEXT NOT NULL, served_by TEXT NOT NULL,
      legacy_status INTEGER, extracted_status INTEGER, legacy_ms REAL, extracted_ms REAL, outcome TEXT NOT NULL, paths TEXT NOT NULL, noise TEXT NOT NULL,
      legacy_sample TEXT, extracted_sample TEXT, request_headers TEXT NOT NULL, source TEXT NOT NULL);
    CREATE TABLE shadow_stats (minute INTEGER NOT NULL, route TEXT NOT NULL, sampled INTEGER NOT NULL DEFAULT 0, dropped INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (minute, route));
    CREATE TABLE traffic (minute INTEGER NOT NULL, route TEXT NOT NULL, backend TEXT NOT NULL, requests INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,
      fallbacks INTEGER NOT NULL DEFAULT 0, latency_ms_sum REAL NOT NULL DEFAULT 0, PRIMARY KEY (minute, route, backend));
    CREATE TABLE traffic_latency (minute INTEGER NOT NULL, route TEXT NOT NULL, backend TEXT NOT NULL, le_ms REAL NOT NULL, count INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (minute, route, backend, le_ms));
    CREATE TABLE percent_events (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, route TEXT NOT NULL, from_percent INTEGER, to_percent INTEGER NOT NULL, action TEXT NOT NULL, who TEXT NOT NULL, file TEXT);
    CREATE TABLE rollout_verdicts (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, route TEXT NOT NULL, verdict TEXT NOT NULL, from_percent INTEGER, to_percent INTEGER, evidence TEXT NOT NULL);
    INSERT INTO diffs VALUES (1, 60000, 'r', 'GET', '/x', 'legacy', 200, 200, 1, 1, 'match', '[]', '[]', NULL, NULL, '{}', 'live');
    INSERT INTO shadow_stats VALUES (60000, 'r', 3, 1, 0);
    INSERT INTO traffic VALUES (60000, 'r', 'extracted', 10, 1, 0, 50);
    INSERT INTO traffic_latency VALUES (60000, 'r', 'extracted', 5, 10);
    PRAGMA user_version = 2;`);
  db.close();
  const store = await openStore(file);
  try {
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    expect(await store.replicas(0, 120_000)).toEqual([{ replica: '', rows: 1, compared: 1 }]);
    await store.write({ replica: 'new:1', rows: [], stats: [{ minute: 60000, route: 'r', sampled: 2, dropped: 0, errors: 0 }], traffic: [] });
    expect(await store.shadowStats('r', 60000, 120_000)).toEqual({ sampled: 5, dropped: 1, errors: 0 });
    expect((await store.traffic('r', 60000, 120_000)).extracted).toMatchObject({ requests: 10, failures: 1 });
  } finally {
    await store.close();
  }
});
