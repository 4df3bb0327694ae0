import crypto from 'node:crypto';
import path from 'node:path';
import { REPO_ROOT, startScript, type RunningProcess } from './processes';
import { UnleashAdmin } from '../unleash/unleash-admin';

export interface TestUnleash {
  readonly url: string;
  readonly admin: UnleashAdmin;
  readonly process: RunningProcess;
  stop(): Promise<number | null>;
}

const NEEDED = ['UNLEASH_DEV_PGHOST', 'UNLEASH_DEV_DB'];

/**
 * Starts a real Unleash server (scripts/unleash/server) on an ephemeral loopback port, over the
 * PostgreSQL database that `scripts/unleash/unleash-dev.sh test` created for this run.
 */
export async function startTestUnleash(): Promise<TestUnleash> {
  const missing = NEEDED.filter((name) => !process.env[name]);
  if (missing.length > 0) {
    throw new Error(`${missing.join(', ')} unset: the Unleash integration test needs the PostgreSQL that its runner starts; run it with \`npm run test:unleash\``);
  }
  const adminToken = `*:*.strangler-test-admin-${crypto.randomBytes(12).toString('hex')}`;
  const script = path.join(REPO_ROOT, 'scripts', 'unleash', 'server', 'start-unleash.js');
  const running = await startScript(script, { UNLEASH_DEV_PORT: '0', UNLEASH_DEV_ADMIN_TOKEN: adminToken }, (line) => line.startsWith('UNLEASH_READY '), 120_000);
  const url = running.lines.find((line) => line.startsWith('UNLEASH_READY '))!.slice('UNLEASH_READY '.length).trim();
  return { url, admin: new UnleashAdmin(url, adminToken), process: running, stop: () => running.stop('SIGTERM') };
}
