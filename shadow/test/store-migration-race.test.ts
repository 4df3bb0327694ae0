import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DIST } from '../../scripts/testing/processes';
import { migrate, SCHEMA_VERSION } from '../store/schema';

/**
 * Two workers of one proxy open the same new SQLite file at once. The one that reads the schema
 * version while the other holds the write lock, and then waits for that lock, must not run a
 * migration the other has applied in the meantime ("table traffic already exists": its store was
 * then not fine, and /status said so).
 */
test('a process waiting for the lock while another migrates a new store runs no migration twice', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strangler-migrate-race-'));
  const file = path.join(dir, 'diffs.sqlite');
  const first = new Database(file);
  try {
    first.pragma('journal_mode = WAL');
    // The first process holds the write lock before it has migrated anything.
    first.exec('BEGIN IMMEDIATE');
    const script = `
      const Database = require('better-sqlite3');
      const { migrate } = require(${JSON.stringify(path.join(DIST, 'shadow/store/schema.js'))});
      const db = new Database(${JSON.stringify(file)});
      db.pragma('busy_timeout = 60000');
      process.stdout.write('opening\\n');
      migrate(db);
      process.stdout.write('version ' + db.pragma('user_version', { simple: true }) + '\\n');`;
    const second = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    second.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    const exited = new Promise<number | null>((resolve) => second.once('exit', resolve));
    await new Promise<void>((resolve) => second.stdout.on('data', (c: Buffer) => { out += c.toString(); if (out.includes('opening')) resolve(); }));
    // The second has read version 0 (no lock needed to read) and now waits for the lock; give it
    // time to be there. Were it slower, the test would pass without testing anything, never fail.
    await new Promise((r) => setTimeout(r, 300));
    migrate(first);
    first.exec('COMMIT');
    const code = await exited;
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain(`version ${SCHEMA_VERSION}`);
  } finally {
    first.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 30000);
