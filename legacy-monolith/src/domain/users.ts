import crypto from 'node:crypto';
import { promisify } from 'node:util';
import type { ShopDb } from '../db/open';
import { ShopError } from './errors';

const scrypt = promisify(crypto.scrypt) as (password: string, salt: Buffer, keylen: number, options: crypto.ScryptOptions) => Promise<Buffer>;

/** scrypt parameters (RFC 7914); N=2^14 keeps a log-in near 50 ms on a small machine. */
const KDF = { N: 16384, r: 8, p: 1, keylen: 32 } as const;

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password, salt, KDF.keylen, { N: KDF.N, r: KDF.r, p: KDF.p });
  return `scrypt$${KDF.N}$${KDF.r}$${KDF.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt') return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return crypto.timingSafeEqual(expected, actual);
}

export interface User { id: number; email: string; name: string }

/** A real hash to compare against when the e-mail is unknown, so both paths take the same time. */
let dummyHash: Promise<string> | null = null;

export class Users {
  private readonly byEmail;
  private readonly byId;
  private readonly insert;
  private readonly sessionUser;
  private readonly insertSession;
  private readonly moveCart;
  private readonly moveCoupon;
  private readonly deleteSession;

  constructor(private readonly db: ShopDb) {
    this.byEmail = db.prepare('SELECT id, email, name, password_hash FROM users WHERE email = ?');
    this.byId = db.prepare('SELECT id, email, name FROM users WHERE id = ?');
    this.insert = db.prepare('INSERT INTO users (email, name, password_hash, created_at) VALUES (?, ?, ?, ?)');
    this.sessionUser = db.prepare('SELECT user_id FROM sessions WHERE sid = ?');
    this.insertSession = db.prepare('INSERT INTO sessions (sid, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT (sid) DO NOTHING');
    this.moveCart = db.prepare('UPDATE cart_items SET sid = ? WHERE sid = ?');
    this.moveCoupon = db.prepare('UPDATE cart_coupons SET sid = ? WHERE sid = ?');
    this.deleteSession = db.prepare('DELETE FROM sessions WHERE sid = ?');
  }

  async register(email: string, name: string, password: string, now: Date): Promise<User> {
    const normalised = email.trim().toLowerCase();
    if (this.byEmail.get(normalised)) throw new ShopError(409, 'email_taken', 'An account with this e-mail already exists', [{ path: 'email', message: 'already registered' }]);
    const hash = await hashPassword(password);
    try {
      const info = this.insert.run(normalised, name, hash, now.toISOString());
      return { id: Number(info.lastInsertRowid), email: normalised, name };
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new ShopError(409, 'email_taken', 'An account with this e-mail already exists', [{ path: 'email', message: 'already registered' }]);
      }
      throw error;
    }
  }

  async authenticate(email: string, password: string): Promise<User> {
    const row = this.byEmail.get(email.trim().toLowerCase()) as (User & { password_hash: string }) | undefined;
    dummyHash ??= hashPassword('not-a-real-password');
    const ok = await verifyPassword(password, row ? row.password_hash : await dummyHash);
    if (!row || !ok) throw new ShopError(401, 'invalid_credentials', 'E-mail or password is wrong');
    return { id: row.id, email: row.email, name: row.name };
  }

  userOfSession(sid: string | null): User | null {
    if (!sid) return null;
    const row = this.sessionUser.get(sid) as { user_id: number | null } | undefined;
    if (!row || row.user_id === null) return null;
    return (this.byId.get(row.user_id) as User | undefined) ?? null;
  }

  ensureSession(sid: string, now: Date): void {
    this.insertSession.run(sid, null, now.toISOString());
  }

  /** Log-in rotates the session id (no session fixation) and carries the cart over. */
  startSession(oldSid: string | null, newSid: string, userId: number, now: Date): void {
    this.db.transaction(() => {
      this.insertSession.run(newSid, userId, now.toISOString());
      if (oldSid) {
        this.moveCart.run(newSid, oldSid);
        this.moveCoupon.run(newSid, oldSid);
        this.deleteSession.run(oldSid);
      }
    })();
  }

  endSession(sid: string | null): void {
    if (sid) this.deleteSession.run(sid);
  }
}

export function newSessionId(): string {
  return crypto.randomBytes(18).toString('base64url');
}
