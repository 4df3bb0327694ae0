/**
 * A throwaway PostgreSQL cluster for a test (or the replicas demo): created in its own directory
 * under /tmp by scripts/postgres/test-cluster.sh, listening on a unix socket there and on TCP
 * 127.0.0.1 at a free port, with a role and a database `strangler` whose password is random (so
 * the store's password handling is exercised: the URL carries it, scram checks it). Stopped and
 * removed by `remove()`, and in any case when the test process exits.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './processes';

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'postgres', 'test-cluster.sh');

export interface TestPostgres {
  /** postgresql://strangler:PASSWORD@127.0.0.1:PORT/strangler */
  readonly url: string;
  readonly password: string;
  readonly port: number;
  readonly dir: string;
  /** The same database with a wrong password. */
  readonly wrongPasswordUrl: string;
  /** Runs SQL as the cluster's superuser over the unix socket (in `database`, default strangler); returns psql's unaligned output. */
  sql(statement: string, database?: string): string;
  /** A new empty database owned by the strangler role; its URL (same password). */
  createDatabase(name: string): string;
  /** Stops the server at once (as a crash would); `up()` starts it again with its data. */
  down(): void;
  up(): void;
  remove(): void;
}

const live = new Set<string>();
process.once('exit', () => {
  for (const dir of live) {
    try { execFileSync('bash', [SCRIPT, 'remove', dir], { stdio: 'ignore' }); } catch { /* best effort at exit */ }
  }
});

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function run(args: string[], env: Record<string, string> = {}): string {
  try {
    return execFileSync('bash', [SCRIPT, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 120_000 });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`${path.relative(REPO_ROOT, SCRIPT)} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

function psqlBinary(): string {
  const base = '/usr/lib/postgresql';
  const version = fs.readdirSync(base).find((v) => fs.existsSync(path.join(base, v, 'bin', 'psql')));
  if (version === undefined) throw new Error(`no psql under ${base}: run bash ${SCRIPT} install`);
  return path.join(base, version, 'bin', 'psql');
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const dir = fs.mkdtempSync(path.join('/tmp', 'strangler-pgtest-'));
  // A password with characters a URL must escape, so the store's parsing of it is tested too.
  const password = `pw:${crypto.randomBytes(9).toString('base64url')}/@x`;
  const port = await freePort();
  live.add(dir);
  run(['start', dir, String(port)], { STRANGLER_TEST_PG_USER: 'strangler', STRANGLER_TEST_PG_PASSWORD: password });
  const asPostgres = os.userInfo().uid === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  const sql = (statement: string, database = 'strangler'): string => {
    const [command, ...args] = [...asPostgres, psqlBinary(), '-h', path.join(dir, 'run'), '-p', String(port), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', statement];
    return execFileSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  };
  return {
    url: `postgresql://strangler:${encodeURIComponent(password)}@127.0.0.1:${port}/strangler`,
    wrongPasswordUrl: `postgresql://strangler:not-the-password@127.0.0.1:${port}/strangler`,
    password, port, dir,
    sql,
    createDatabase: (name) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      sql(`CREATE DATABASE ${name} OWNER strangler`, 'postgres');
      return `postgresql://strangler:${encodeURIComponent(password)}@127.0.0.1:${port}/${name}`;
    },
    down: () => { run(['stop', dir]); },
    up: () => { run(['start', dir, String(port)]); },
    remove: () => { run(['remove', dir]); live.delete(dir); },
  };
}
