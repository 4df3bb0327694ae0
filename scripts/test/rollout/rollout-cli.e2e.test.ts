/**
 * `strangler rollout` as a user runs it (dist/scripts/cli.js), on a copy of the shipped rules and a
 * real SQLite store seeded the way the proxy writes it. product-detail ships at 25 % with
 * steps [5, 25, 50, 100], min_duration 1h, min_requests 200, max_error_rate 1 %, budget 1 %.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { diff, MINUTE_MS, seedStore, traffic } from '../../testing/evidence-seed';
import { DIST, REPO_ROOT, runCli, tempDir } from '../../testing/processes';
import { openEvidenceStore } from '../../../shadow/store/open-evidence';

// The shipped rules without product-detail's conversion guard: these tests seed requests and
// comparisons, not shoppers (the guard has its own e2e, conversion-guard.e2e.test.ts).
const GUARD = /\n *# Its shoppers must still buy[^\n]*\n *guard: [^\n]*/;
const SHIPPED = fs.readFileSync(path.join(REPO_ROOT, 'routing-rules.yaml'), 'utf8').replace(GUARD, '');
const PERCENT_LINE = '    percent: 25                 # 0..100, share of identities sent to extracted';
const HOUR = 60 * MINUTE_MS;

interface Setup { dir: string; file: string; db: string }

/** A copy of the shipped rules last saved `savedAgoMs` ago, and an empty store beside it. */
async function setup(savedAgoMs: number, text = SHIPPED): Promise<Setup> {
  const dir = tempDir('rollout');
  const file = path.join(dir, 'routing-rules.yaml');
  const db = path.join(dir, 'diffs.sqlite');
  fs.writeFileSync(file, text);
  const saved = new Date(Date.now() - savedAgoMs);
  fs.utimesSync(file, saved, saved);
  await seedStore(db, {});
  return { dir, file, db };
}

const rollout = (s: Setup, ...args: string[]) => runCli(['rollout', '--file', s.file, '--db', s.db, ...args]);

function rows(db: string, sql: string): Array<Record<string, unknown>> {
  const handle = new Database(db, { readonly: true });
  try { return handle.prepare(sql).all() as Array<Record<string, unknown>>; } finally { handle.close(); }
}
const events = (s: Setup) => rows(s.db, "SELECT route, from_percent AS 'from', to_percent AS 'to', action, who, at FROM percent_events ORDER BY id");
const verdicts = (s: Setup) => rows(s.db, 'SELECT route, verdict, from_percent AS "from", to_percent AS "to", evidence FROM rollout_verdicts ORDER BY id');

/** Healthy product-detail traffic a few minutes ago: `requests` to extracted, `failures` of them failed. */
async function seedTraffic(s: Setup, requests: number, failures = 0, agoMs = 3 * MINUTE_MS): Promise<void> {
  const at = Date.now() - agoMs;
  await seedStore(s.db, {
    traffic: [traffic(at, 'product-detail', 'extracted', requests, failures, 9), traffic(at, 'product-detail', 'legacy', requests * 3, 0, 10)],
    diffs: Array.from({ length: 30 }, (_v, i) => diff(at + i, 'product-detail', 'match')),
  });
}

describe('hold, advance, rollback, resume', () => {
  test('hold names the missing evidence; the first run after a hand edit dates the window from the file', async () => {
    const s = await setup(18 * MINUTE_MS + 20_000);
    await seedTraffic(s, 120, 0, 60_000);
    const held = await rollout(s);
    expect(held.code).toBe(0);
    expect(held.stdout).toContain('product-detail: HOLD at 25% (step 2 of 4): 120/200 requests, 18m/1h');
    expect(held.stdout).toMatch(/ {2}waiting +requests +120\/200 requests\n/);
    expect(fs.readFileSync(s.file, 'utf8')).toBe(SHIPPED);
    // The percent was never recorded: a hand change, dated by the file's modification time.
    const [hand] = events(s);
    expect(hand).toMatchObject({ route: 'product-detail', from: null, to: 25, action: 'hand' });
    expect(Math.abs(Number(hand.at) - fs.statSync(s.file).mtimeMs)).toBeLessThan(1000);
    const [verdict] = verdicts(s);
    expect(verdict).toMatchObject({ route: 'product-detail', verdict: 'hold', from: 25, to: 25 });
    expect(JSON.parse(String(verdict.evidence))).toMatchObject({ summary: '120/200 requests, 18m/1h', evidence: { extracted: { requests: 120 } } });
  });

  test('--dry-run changes nothing: the file byte for byte, no row written; without it the step advances in place', async () => {
    const s = await setup(2 * HOUR);
    await seedTraffic(s, 250, 1);
    const before = fs.readFileSync(s.file);
    const dry = await rollout(s, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('product-detail: ADVANCE at 25% (step 2 of 4): 25% → 50%: every gate holds');
    expect(dry.stdout).toContain(`Dry run, nothing written; would update ${s.file}: "product-detail" percent 25 → 50`);
    expect(fs.readFileSync(s.file).equals(before)).toBe(true);
    expect(fs.statSync(s.file).mtimeMs).toBeLessThan(Date.now() - HOUR);
    expect(events(s)).toEqual([]);
    expect(verdicts(s)).toEqual([]);

    const advanced = await rollout(s);
    expect(advanced.code).toBe(0);
    expect(advanced.stdout).toContain(`Updated ${s.file}: "product-detail" percent 25 → 50`);
    expect(advanced.stdout).toContain('buckets 26..50 move to extracted');
    // Only the value changed: comments, alignment and every other line as they were.
    expect(fs.readFileSync(s.file, 'utf8')).toBe(SHIPPED.replace(PERCENT_LINE, PERCENT_LINE.replace('25 ', '50 ')));
    expect(fs.readdirSync(s.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(events(s).map((e) => [e.action, e.from, e.to])).toEqual([['hand', null, 25], ['rollout', 25, 50]]);
    expect(String(events(s)[1].who)).toMatch(/^strangler rollout --file \S+ --db \S+/);

    // The new step's window starts now: the 25 % traffic does not count for 50 %.
    const next = await rollout(s);
    expect(next.stdout).toMatch(/product-detail: HOLD at 50% \(step 3 of 4\): 0\/200 requests, \d+m?s\/1h/);
  });

  test('a failing extracted side is rolled back to 0 (exit 3), stays there, and --resume starts again at the first step', async () => {
    const s = await setup(2 * HOUR);
    await seedTraffic(s, 250, 10);
    // --dry-run exits 3 when it would roll back (documented: a CI job can page on it), writing nothing.
    const wouldRollBack = await rollout(s, '--dry-run');
    expect(wouldRollBack.code).toBe(3);
    expect(wouldRollBack.stdout).toContain('Dry run, nothing written; would update');
    expect(fs.readFileSync(s.file, 'utf8')).toBe(SHIPPED);
    expect((await runCli(['rollout', '--help'])).stdout).toContain('with --dry-run, exit 3 when one would be (nothing written)');
    const rolled = await rollout(s);
    expect(rolled.code).toBe(3);
    expect(rolled.stdout).toContain('product-detail: ROLLBACK at 25% (step 2 of 4): 25% → 0%: error rate 4.00% (10/250 requests), max 1.00%');
    expect(rolled.stdout).toMatch(/ {2}FAILED +error rate +4\.00%/);
    expect(fs.readFileSync(s.file, 'utf8')).toBe(SHIPPED.replace(PERCENT_LINE, PERCENT_LINE.replace('25 ', '0  ')));

    // Later runs report it and leave it: this run rolled nothing back, so exit 0.
    const waiting = await rollout(s);
    expect(waiting.code).toBe(0);
    expect(waiting.stdout).toMatch(/product-detail: ROLLED BACK at 0% \(before the first step\): rolled back at \S+; stays at 0% until: strangler rollout product-detail --resume/);
    expect(fs.readFileSync(s.file, 'utf8')).toContain('    percent: 0 ');

    const resumed = await rollout(s, 'product-detail', '--resume');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/product-detail: RESUME at 0% \(before the first step\): resumed: 0% → 5% \(step 1 of 4\), a new window starts now: 0\/200 requests, 0ms\/1h/);
    // The fresh state the resume leaves, not the rolled-back window that just ended.
    expect(resumed.stdout).toMatch(/ {2}window: since \S+, set by resume \(strangler rollout /);
    expect(resumed.stdout).not.toContain('set by rollback');
    expect(resumed.stdout).toMatch(/ {2}waiting +requests +0\/200 requests\n/);
    expect(fs.readFileSync(s.file, 'utf8')).toBe(SHIPPED.replace(PERCENT_LINE, PERCENT_LINE.replace('25 ', '5  ')));
    expect(events(s).map((e) => e.action)).toEqual(['hand', 'rollback', 'resume']);
    const fresh = await rollout(s);
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/product-detail: HOLD at 5% \(step 1 of 4\): 0\/200 requests, \d+m?s\/1h/);
  });

  test('a hand edit starts a new window, recorded when rollout first sees it', async () => {
    const s = await setup(5 * MINUTE_MS);
    const store = await openEvidenceStore(s.db);
    await store.recordPercentEvent({ at: Date.now() - 2 * HOUR, route: 'product-detail', fromPercent: 5, toPercent: 25, action: 'ramp', who: 'strangler ramp product-detail 25', file: s.file });
    await store.close();
    await seedTraffic(s, 400, 0, HOUR);
    // As recorded, product-detail would advance; but someone set 50 by hand five minutes ago.
    fs.writeFileSync(s.file, SHIPPED.replace(PERCENT_LINE, PERCENT_LINE.replace('25 ', '50 ')));
    const saved = new Date(Date.now() - 5 * MINUTE_MS);
    fs.utimesSync(s.file, saved, saved);
    const run = await rollout(s);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('product-detail: HOLD at 50% (step 3 of 4): 0/200 requests, 5m/1h');
    expect(run.stdout).toMatch(/window: since \S+, set by hand \(hand edit, noticed by strangler rollout/);
    expect(events(s).map((e) => [e.action, e.from, e.to])).toEqual([['ramp', 5, 25], ['hand', 25, 50]]);
    expect(Math.abs(Number(events(s)[1].at) - saved.getTime())).toBeLessThan(1000);
  });
});

describe('routes that rollout leaves alone', () => {
  const withPlans = SHIPPED
    .replace('    flag: checkout-rollout      # percent comes from this Unleash flag when Unleash is configured\n', '$&    rollout: { steps: [5, 50, 100], min_duration: 1h }\n')
    .replace(/(name: categories\n(?:.*\n){7}.*budget: 0\.01\n)/, '$1    killed: true\n    rollout: { steps: [25, 100] }\n');

  test('a killed route, and a flag-driven one while UNLEASH_URL is set; without it the flag is not in force', async () => {
    const s = await setup(2 * HOUR, withPlans);
    const json = await runCli(['rollout', 'checkout', 'categories', '--file', s.file, '--db', s.db, '--json'], { env: { UNLEASH_URL: 'http://127.0.0.1:9/api' } });
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { routes: Array<{ route: string; verdict: string; summary: string }> };
    expect(doc.routes).toEqual([
      expect.objectContaining({ route: 'checkout', verdict: 'left-alone', summary: 'its percent comes from the Unleash flag "checkout-rollout" (UNLEASH_URL is set): ramp the flag in Unleash' }),
      expect.objectContaining({ route: 'categories', verdict: 'left-alone', summary: 'killed: everything goes to legacy; unkill it to judge it again' }),
    ]);
    expect(fs.readFileSync(s.file, 'utf8')).toBe(withPlans);
    const plain = await runCli(['rollout', 'checkout', '--file', s.file, '--db', s.db], { env: { UNLEASH_URL: '' } });
    expect(plain.stdout).toContain('checkout: ADVANCE at 0% (before the first step): 0% → 5%: every gate holds');
    expect(plain.stdout).toContain('note: flag "checkout-rollout" is not in force (UNLEASH_URL is not set): judging the file\'s percent');
  });
});

describe('ramp, kill and unkill record each percent change', () => {
  test('with the percent in force (killed is 0), the command line and the file; an unusable store only warns', async () => {
    const s = await setup(0);
    const env = { STRANGLER_DIFF_DB: s.db, USER: 'alice' };
    const admin = ['--admin', 'http://127.0.0.1:9'];
    expect((await runCli(['ramp', 'product-detail', '50', '--file', s.file, ...admin], { env })).code).toBe(0);
    expect((await runCli(['kill', 'product-detail', '--file', s.file], { env })).code).toBe(0);
    expect((await runCli(['unkill', 'product-detail', '--file', s.file], { env })).code).toBe(0);
    expect((await runCli(['ramp', 'product-detail', '50', '--file', s.file, ...admin], { env })).stdout).toContain('Unchanged');
    expect(events(s).map((e) => ({ ...e, at: typeof e.at }))).toEqual([
      { route: 'product-detail', from: 25, to: 50, action: 'ramp', who: `strangler ramp product-detail 50 --file ${s.file} --admin http://127.0.0.1:9 (alice)`, at: 'number' },
      { route: 'product-detail', from: 50, to: 0, action: 'kill', who: `strangler kill product-detail --file ${s.file} (alice)`, at: 'number' },
      { route: 'product-detail', from: 0, to: 50, action: 'unkill', who: `strangler unkill product-detail --file ${s.file} (alice)`, at: 'number' },
    ]);
    // rollout sees the unkill as the start of the window, not a hand edit.
    const judged = await rollout(s);
    expect(judged.stdout).toMatch(/window: since \S+, set by unkill \(strangler unkill product-detail/);

    const broken = path.join(s.dir, 'not-a-store.sqlite');
    fs.writeFileSync(broken, 'not a database '.repeat(100));
    const ramp = await runCli(['ramp', 'product-detail', '5', '--file', s.file, '--db', broken], { env });
    expect(ramp.code).toBe(0);
    expect(fs.readFileSync(s.file, 'utf8')).toContain('    percent: 5 ');
    expect(ramp.stderr).toContain(`warning: ${s.file} is changed, but the change is not recorded (cannot use the evidence store ${broken}: file is not a database)`);
  });
});

describe('bad input', () => {
  test('usage errors exit 2; an unknown route, a route without a plan, a bad file or no store exit 1', async () => {
    const s = await setup(0);
    for (const [args, message] of [
      [['--once', '--watch', '1m'], '--once and --watch cannot both be given'],
      [['--watch', 'soon'], '--watch must be a duration like 30s, 1m or 1h, got "soon"'],
      [['--watch', '0s'], '--watch must be a duration like 30s, 1m or 1h, got "0s"'],
      [['--resume'], '--resume needs the ROUTE(s) to resume'],
      [['product-detail', '--resume', '--watch', '1m'], '--resume judges once: it cannot be combined with --watch'],
      [['--frobnicate'], 'unknown option --frobnicate; this command takes --file, --db, --once, --watch, --dry-run, --resume, --json'],
    ] as const) {
      const usage = await rollout(s, ...args);
      expect(usage.code).toBe(2);
      // One line: what was wrong, and where the command's usage is.
      expect(usage.stderr).toBe(`strangler: ${message} (see \`strangler rollout --help\`)\n`);
    }
    const unknown = await rollout(s, 'product-detial');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown route "product-detial" .*did you mean "product-detail"\?/);
    const planless = await rollout(s, 'categories');
    expect(planless.code).toBe(1);
    expect(planless.stderr).toContain('route "categories"');
    expect(planless.stderr).toContain('has no rollout block');
    const noStore = await runCli(['rollout', '--file', s.file, '--db', path.join(s.dir, 'none.sqlite')]);
    expect(noStore.code).toBe(1);
    expect(noStore.stderr.trim()).toBe(`strangler: no evidence store at ${path.join(s.dir, 'none.sqlite')}: the proxy writes its counters and comparisons there (set STRANGLER_DIFF_DB or --db)`);
    fs.writeFileSync(s.file, SHIPPED.replace('extracted: catalog', 'extracted: catalogue'));
    const invalid = await rollout(s);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/is invalid .* unknown upstream "catalogue"/);
    for (const result of [unknown, planless, noStore, invalid]) expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

test('--watch judges every interval until SIGTERM, one JSON document a line, and exits cleanly', async () => {
  const s = await setup(10 * MINUTE_MS);
  const child = spawn(process.execPath, [path.join(DIST, 'scripts', 'cli.js'), 'rollout', '--file', s.file, '--db', s.db, '--watch', '1s', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const docs: Array<{ routes: Array<{ verdict: string }> }> = [];
  const twoRuns = new Promise<void>((resolve) => {
    readline.createInterface({ input: child.stdout }).on('line', (line) => { docs.push(JSON.parse(line)); if (docs.length === 2) resolve(); });
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await twoRuns;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const code = await exited;
  clearTimeout(timer);
  expect(code).toBe(0);
  expect(docs.map((d) => d.routes.map((r) => r.verdict))).toEqual([['hold'], ['hold']]);
  expect(verdicts(s)).toHaveLength(docs.length);
});
