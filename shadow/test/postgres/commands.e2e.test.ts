/**
 * Every command that reads the store, on PostgreSQL (`--db postgres://…` and STRANGLER_DIFF_DB):
 * ramp's mismatch gate, ramp recording its change, rollout dating its window from it and recording its verdict,
 * replay writing its rows named by its replica, report reading them back. What is stored is
 * checked in the database itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { diff, seedStore, traffic } from '../../../scripts/testing/evidence-seed';
import { startTestPostgres, type TestPostgres } from '../../../scripts/testing/postgres';
import { REPO_ROOT, runCli, tempDir } from '../../../scripts/testing/processes';
import { closedPort, startUpstream, type TestUpstream } from '../../../scripts/testing/upstreams';

let pg: TestPostgres;
let legacy: TestUpstream;
let catalog: TestUpstream;
let rules: string;

beforeAll(async () => {
  pg = await startTestPostgres();
  legacy = await startUpstream('legacy');
  catalog = await startUpstream('catalog');
  for (const side of [legacy, catalog]) side.handle((req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ url: req.url })); });
  rules = path.join(tempDir('pg-commands'), 'routing-rules.yaml');
  fs.writeFileSync(rules, fs.readFileSync(path.join(REPO_ROOT, 'routing-rules.yaml'), 'utf8')
    .replace('${LEGACY_PORT:-3001}', String(legacy.port)).replace('${CATALOG_PORT:-3101}', String(catalog.port)));
}, 120_000);
afterAll(async () => {
  await Promise.all([legacy?.close(), catalog?.close()]);
  pg?.remove();
});

test('ramp refuses on the mismatch rate PostgreSQL holds, records the forced change there; rollout judges and records; replay and report read and write it', async () => {
  const now = Date.now();
  await seedStore(pg.url, {
    diffs: Array.from({ length: 40 }, (_v, i) => ({ ...diff(now - 60_000 + i, 'product-detail', i % 4 === 0 ? 'mismatch' : 'match'), target: `/api/products/${i % 3}` })),
    traffic: [traffic(now - 60_000, 'product-detail', 'extracted', 50), traffic(now - 60_000, 'product-detail', 'legacy', 150)],
  }, 'seeded-replica');
  const admin = `http://127.0.0.1:${await closedPort()}`;
  const env = { STRANGLER_DIFF_DB: pg.url, USER: 'alice', STRANGLER_REPLICA: 'replay-runner' };

  const refused = await runCli(['ramp', 'product-detail', '50', '--file', rules, '--admin', admin], { env });
  expect(refused.code).toBe(1);
  expect(refused.stdout).toContain('mismatch rate: 25.00% of 40 comparisons in the last 24 h (budget 1.00%)');
  const forced = await runCli(['ramp', 'product-detail', '50', '--force', '--file', rules, '--admin', admin], { env });
  expect(forced.code).toBe(0);
  expect(forced.stderr).toBe('');
  expect(pg.sql("SELECT action, from_percent, to_percent FROM percent_events WHERE route = 'product-detail'").trim()).toBe('ramp|25|50');

  const judged = await runCli(['rollout', 'product-detail', '--file', rules, '--db', pg.url, '--json']);
  // The step's window starts at the ramp just recorded: no evidence in it yet.
  expect(judged.code).toBe(0);
  expect(JSON.parse(judged.stdout)).toMatchObject({ store: `postgresql://strangler:***@127.0.0.1:${pg.port}/strangler`, rolledBack: 0, routes: [{ route: 'product-detail', verdict: 'hold', window: { action: 'ramp', who: expect.stringContaining('alice') } }] });
  expect(pg.sql("SELECT verdict, to_percent FROM rollout_verdicts WHERE route = 'product-detail'").trim()).toBe('hold|50');
  const dry = await runCli(['rollout', 'product-detail', '--file', rules, '--db', pg.url, '--dry-run']);
  expect(dry.code).toBe(0);
  expect(dry.stdout).toContain('product-detail: HOLD at 50%');

  const replay = await runCli(['replay', '--route', 'product-detail', '--rules', rules], { env });
  expect(replay.stderr).toBe('');
  expect(replay.stdout).toMatch(/^replayed 3 captured request\(s\) of route product-detail: 3 match, 0 mismatch, 0 truncated, 0 error$/m);
  expect(pg.sql("SELECT replica, source, count(*) FROM diffs GROUP BY replica, source ORDER BY replica").trim()).toBe('replay-runner|replay|3\nseeded-replica|live|40');

  const out = path.join(tempDir('pg-commands-report'), 'report');
  const report = await runCli(['report', '--rules', rules, '--out', out], { env });
  expect(report.code).toBe(1); // over budget
  const json = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as { replicas: unknown[]; routes: Array<{ route: string; compared: number; mismatches: number; rollout: { lastVerdict: { verdict: string } } | null }> };
  expect(json.replicas).toEqual([{ replica: 'replay-runner', rows: 3, compared: 3 }, { replica: 'seeded-replica', rows: 40, compared: 40 }]);
  expect(json.routes.find((r) => r.route === 'product-detail')).toMatchObject({ compared: 43, mismatches: 10, rollout: { lastVerdict: { verdict: 'hold' } } });
  expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toContain('| `replay-runner` | 3 | 3 |');
  for (const output of [refused, forced, judged, dry, replay, report]) expect(output.stdout + output.stderr).not.toContain(pg.password);
}, 90_000);
