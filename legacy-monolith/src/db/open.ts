import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { SCHEMA_SQL } from './schema';

export type ShopDb = Database.Database;

export function defaultShopDbPath(): string {
  return process.env.SHOP_DB ?? path.resolve('data', 'shop.sqlite');
}

/**
 * Opens the shared shop database. WAL lets readers in every process run beside one writer;
 * busy_timeout makes a writer wait for another process's write instead of failing at once.
 */
export function openShopDb(file: string = defaultShopDbPath()): ShopDb {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA_SQL);
  return db;
}

export function isSeeded(db: ShopDb): boolean {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'seeded_at'").get() as { value: string } | undefined;
  return row !== undefined;
}
