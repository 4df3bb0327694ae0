import fs from 'node:fs';
import path from 'node:path';
import { request } from '../testing/http-client';
import { REPO_ROOT, runCli, tempDir } from '../testing/processes';
import { closedPort, startTestProxy, startUpstream, type TestUpstream } from '../testing/upstreams';
import { DiffStore } from '../../shadow/store/diff-store';
import { loadRules } from '../../proxy/rules/load';

const SHIPPED = fs.readFileSync(path.join(REPO_ROOT, 'routing-rules.yaml'), 'utf8');
// ramp, kill and unkill record their changes in the evidence store: a throwaway one, never data/.
process.env.STRANGLER_DIFF_DB = path.join(tempDir('cli-store'), 'diffs.sqlite');
const copyOfShipped = (): string => {
  const file = path.join(tempDir('cli'), 'routing-rules.yaml');
  fs.writeFileSync(file, SHIPPED);
  return file;
};

describe('strangler check', () => {
  test('a file with five different errors: all reported with line and column, exit 1', async () => {
    const file = path.join(REPO_ROOT, 'proxy', 'test', 'cases', 'five-errors.yaml');
    const { code, stdout } = await runCli(['check', file]);
    expect(code).toBe(1);
    const lines = stdout.trim().split('\n');
    expect(lines.slice(0, 5).map((l) => /:(\d+:\d+): error: /.exec(l)?.[1])).toEqual(['8:16', '9:11', '12:14', '14:20', '16:5']);
    expect(lines[0]).toContain('did you mean "catalog"?');
    expect(lines[4]).toContain('unknown key "colour"');
    // The summary names the file it checked.
    expect(lines[5]).toBe(`${path.relative(process.cwd(), file)}: invalid: 5 error(s), 0 warning(s)`);
  });
  test('the shipped file is valid (exit 0); --json and --format github for machines', async () => {
    const shipped = await runCli(['check']);
    expect(shipped.code).toBe(0);
    expect(shipped.stdout.trim().split('\n').pop()).toMatch(/^routing-rules\.yaml: ok: \d+ routes, 0 warning\(s\)$/);
    const file = path.join(tempDir('check'), 'warn.yaml');
    fs.writeFileSync(file, SHIPPED.replace('  checkout: http://127.0.0.1:${CHECKOUT_PORT:-3103}', '  checkout: http://127.0.0.1:${CHECKOUT_PORT:-3103}\n  spare: http://127.0.0.1:3999'));
    const json = await runCli(['check', file, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, errors: [], warnings: [{ code: 'RULES_UNUSED_UPSTREAM', line: 9 }] });
    const github = await runCli(['check', file, '--format', 'github']);
    expect(github.stdout.trim()).toMatch(/^::warning file=.*warn\.yaml,line=9,col=\d+,title=RULES_UNUSED_UPSTREAM::upstream "spare" is not used/);
  });
  test('bad input: one clear line each, exit 1 for files, 2 for usage; never a stack trace', async () => {
    const missing = await runCli(['check', '/nonexistent/rules.yaml']);
    expect(missing.code).toBe(1);
    expect(missing.stdout.trim().split('\n')[0]).toBe('/nonexistent/rules.yaml:1:1: error: cannot read the rules file: no such file');
    const dir = await runCli(['check', tempDir('dir')]);
    expect(dir.code).toBe(1);
    const syntax = path.join(tempDir('check'), 'syntax.yaml');
    fs.writeFileSync(syntax, 'version: 1\nupstreams:\n  legacy: [\n');
    const bad = await runCli(['check', syntax]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/syntax\.yaml:\d+:\d+: error: YAML syntax: /);
    // A usage error is one line: what was wrong, and where the usage is (never the whole usage, nor parseArgs' own text).
    for (const [args, line] of [
      [['check', '--nope'], 'strangler: unknown option --nope; this command takes --json, --format (see `strangler check --help`)'],
      [['check', 'a', 'b'], 'strangler: check takes at most one FILE, got 2 (see `strangler check --help`)'],
      [['check', '--format', 'xml'], 'strangler: --format must be text, json or github, got "xml" (see `strangler check --help`)'],
      [['ramp', 'r', '5', '--file'], 'strangler: --file needs a value (see `strangler ramp --help`)'],
      [['seed', '--reset=yes'], 'strangler: --reset takes no value (see `strangler seed --help`)'],
      [['proxy', '--port', '1'], 'strangler: unknown option --port; this command takes no options (see `strangler proxy --help`)'],
      [['frobnicate'], 'strangler: unknown command "frobnicate" (see `strangler --help`)'],
      [[], 'strangler: no command given (see `strangler --help`)'],
    ] as const) {
      const usage = await runCli([...args]);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toBe(`${line}\n`);
    }
    const commandHelp = await runCli(['ramp', '--help']);
    expect(commandHelp.code).toBe(0);
    expect(commandHelp.stdout.split('\n')[0]).toBe('usage: strangler ramp ROUTE PERCENT [--file F] [--force] [--max-error-rate R] [--json] [--admin URL] [--require-proxy] [--db STORE]');
    expect((await runCli(['help', 'traffic'])).stdout).toContain('usage: strangler traffic');
  });
});

describe('strangler plan', () => {
  test('OLD NEW: exactly which share moves, in which direction', async () => {
    const old = copyOfShipped();
    const next = path.join(path.dirname(old), 'next.yaml');
    fs.writeFileSync(next, SHIPPED.replace('percent: 25                 # 0..100', 'percent: 50                 # 0..100').replace(/(name: categories\n(?:.*\n){2}) {4}percent: 25/, '$1    percent: 10'));
    const { code, stdout } = await runCli(['plan', old, next, '--json']);
    expect(code).toBe(0);
    const rows = JSON.parse(stdout).routes as Array<{ route: string; change: string; toExtracted: number; toLegacy: number; exact: boolean; note: string }>;
    expect(rows.find((r) => r.route === 'product-detail')).toMatchObject({ change: 'changed', toExtracted: 0.25, toLegacy: 0, exact: true, note: 'buckets 26..50 move to extracted; nobody moves back' });
    expect(rows.find((r) => r.route === 'categories')).toMatchObject({ toExtracted: 0, toLegacy: 0.15, note: 'buckets 11..25 move back to legacy; the rest stay' });
    expect(rows.filter((r) => r.change === 'changed')).toHaveLength(2);
    const human = await runCli(['plan', old, next]);
    expect(human.stdout).toMatch(/product-detail\s+25% → 50%\s+10 → 10\s+25\.0% legacy→extracted/);
  });
  test('every change that affects routing is shown: match, upstream, timeout; a changed match cannot say who moves', async () => {
    const old = copyOfShipped();
    const next = path.join(path.dirname(old), 'next.yaml');
    fs.writeFileSync(next, SHIPPED
      .replace('match: { methods: [GET, HEAD], path: /api/products/:id }', 'match: { methods: [GET], path: /api/products/:id }')
      .replace('timeout_ms: 5000', 'timeout_ms: 2000')
      .replace('catalog: http://127.0.0.1:${CATALOG_PORT:-3101}', 'catalog: http://127.0.0.1:4101'));
    const { code, stdout } = await runCli(['plan', old, next, '--json']);
    expect(code).toBe(0);
    const rows = JSON.parse(stdout).routes as Array<{ route: string; change: string; exact: boolean; note: string; settingChanges: Array<{ key: string; old: string; new: string }> }>;
    const detail = rows.find((r) => r.route === 'product-detail')!;
    expect(detail).toMatchObject({ change: 'changed', exact: false });
    expect(detail.note).toMatch(/the match changed: .*cannot be known/);
    expect(detail.settingChanges).toEqual(expect.arrayContaining([
      { key: 'match', old: 'GET,HEAD /api/products/:id', new: 'GET /api/products/:id' },
      { key: 'upstream', old: 'catalog (http://127.0.0.1:3101)', new: 'catalog (http://127.0.0.1:4101)' },
      { key: 'timeout_ms', old: '5000', new: '2000' },
    ]));
    // Every route inherits the new default timeout: none of them is "no change".
    expect(rows.every((r) => r.change === 'changed')).toBe(true);
    const human = await runCli(['plan', old, next]);
    expect(human.stdout).not.toContain('No changes');
    expect(human.stdout).toContain('product-detail: upstream catalog (http://127.0.0.1:3101) → catalog (http://127.0.0.1:4101)');
    expect((await runCli(['plan', old, old])).stdout).toContain('No changes');
  });
  test('with only NEW, OLD is what the running proxy serves; an unreachable proxy is one clear line', async () => {
    const legacy = await startUpstream('legacy');
    const rules = `version: 1\nupstreams: { legacy: "${legacy.url}", svc: "${legacy.url}" }\nroutes:\n  - { name: r, match: { path: /x }, extracted: svc, percent: 10 }\n`;
    const proxy = await startTestProxy(rules);
    const next = path.join(tempDir('plan'), 'next.yaml');
    fs.writeFileSync(next, rules.replace('percent: 10', 'percent: 30'));
    const { code, stdout } = await runCli(['plan', next, '--json', '--admin', `http://127.0.0.1:${proxy.adminPort}`]);
    await proxy.stop();
    await legacy.close();
    expect(code).toBe(0);
    expect(JSON.parse(stdout).routes[0]).toMatchObject({ route: 'r', toExtracted: 0.2 });
    const down = await runCli(['plan', next, '--admin', `http://127.0.0.1:${await closedPort()}`]);
    expect(down.code).toBe(1);
    expect(down.stderr.trim()).toMatch(/^strangler: cannot reach the proxy admin at .*; is the proxy running, with its admin port there\? \(set --admin URL, or ADMIN_PORT \/ ADMIN_HOST\)$/);
  });
});

describe("the rules' ${VAR:-default} as the running proxy resolved them, not as the CLI's shell would", () => {
  // The proxy runs with the port variables set; the CLI's shell has them empty, so its own reading
  // of the file would give the defaults: ports where nothing listens.
  let upstream: TestUpstream;
  let proxy: Awaited<ReturnType<typeof startTestProxy>>;
  let rules: string;
  const bareShell = { T_LEGACY_PORT: '', T_SVC_PORT: '' };
  beforeAll(async () => {
    upstream = await startUpstream('both');
    rules = `version: 1\nupstreams:\n  legacy: "http://127.0.0.1:\${T_LEGACY_PORT:-${await closedPort()}}"\n  svc: "http://127.0.0.1:\${T_SVC_PORT:-${await closedPort()}}"\n`
      + 'routes:\n  - { name: r, match: { path: /x }, extracted: svc, percent: 10 }\n';
    proxy = await startTestProxy(rules, { T_LEGACY_PORT: String(upstream.port), T_SVC_PORT: String(upstream.port) });
  });
  afterAll(async () => { await proxy.stop(); await upstream.close(); });

  test('plan NEW against the proxy shows the percent change only, no upstream change', async () => {
    const next = path.join(tempDir('plan-env'), 'next.yaml');
    fs.writeFileSync(next, rules.replace('percent: 10', 'percent: 30'));
    const { code, stdout } = await runCli(['plan', next, '--json', '--admin', `http://127.0.0.1:${proxy.adminPort}`], { env: bareShell });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).routes[0]).toMatchObject({ route: 'r', toExtracted: 0.2, settingChanges: [] });
    // An upstream the file really moves is still shown.
    fs.writeFileSync(next, rules.replace('"http://127.0.0.1:${T_SVC_PORT', '"http://localhost:${T_SVC_PORT'));
    const moved = await runCli(['plan', next, '--json', '--admin', `http://127.0.0.1:${proxy.adminPort}`], { env: bareShell });
    expect(JSON.parse(moved.stdout).routes[0].settingChanges.map((c: { key: string }) => c.key)).toEqual(['upstream']);
  });

  test('replay sends to the upstreams the proxy resolved; with the proxy gone, every request fails: it says why and exits 1', async () => {
    const db = path.join(tempDir('replay-env'), 'diffs.sqlite');
    const store = new DiffStore(db);
    await store.open();
    for (let i = 0; i < 5; i++) {
      store.add({ at: Date.now() - 1000, route: 'r', method: 'GET', target: `/x?i=${i}`, servedBy: 'legacy', legacyStatus: 200, extractedStatus: 200,
        legacyMs: 1, extractedMs: 1, outcome: 'match', paths: [], noise: [], legacySample: null, extractedSample: null, requestHeaders: {}, source: 'live' });
    }
    await store.close();
    const admin = `http://127.0.0.1:${proxy.adminPort}`;
    const replay = await runCli(['replay', '--db', db, '--rules', proxy.rulesFile, '--admin', admin], { env: bareShell });
    expect(replay.stdout).toContain('replayed 5 captured request(s): 5 match, 0 mismatch, 0 truncated, 0 error');
    expect(replay.code).toBe(0);
    expect(replay.stderr).toBe('');

    const down = await runCli(['replay', '--db', db, '--rules', proxy.rulesFile, '--admin', `http://127.0.0.1:${await closedPort()}`], { env: bareShell });
    expect(down.stdout).toContain('5 error');
    expect(down.code).toBe(1);
    const legacyDefault = /legacy: "http:\/\/127\.0\.0\.1:\$\{T_LEGACY_PORT:-(\d+)\}"/.exec(rules)![1];
    expect(down.stderr).toContain('note: upstream URLs from');
    expect(down.stderr).toMatch(new RegExp(`\\n {2}5 × http://127\\.0\\.0\\.1:${legacyDefault}: .*ECONNREFUSED`));
    expect(down.stderr).toMatch(/strangler: every replayed request failed: is the shop running at those URLs\?\n$/);
  });
});

describe('strangler ramp / kill / unkill', () => {
  test('edits only the value, keeping comments, order and layout; validates; prints the plan', async () => {
    const file = copyOfShipped();
    const { code, stdout } = await runCli(['ramp', 'product-detail', '50', '--file', file, '--admin', `http://127.0.0.1:${await closedPort()}`]);
    expect(code).toBe(0);
    expect(stdout).toContain('buckets 26..50 move to extracted');
    const after = fs.readFileSync(file, 'utf8');
    expect(after).toBe(SHIPPED.replace('    percent: 25                 # 0..100, share of identities sent to extracted', '    percent: 50                 # 0..100, share of identities sent to extracted'));
    expect(fs.readdirSync(path.dirname(file))).toEqual(['routing-rules.yaml']); // no temp file left behind
    expect(stdout).not.toContain('flag:');
    // checkout follows an Unleash flag: the ramp still edits YAML, and says where the percent really comes from.
    const flagged = await runCli(['ramp', 'checkout', '5', '--file', file, '--admin', `http://127.0.0.1:${await closedPort()}`]);
    expect(flagged.code).toBe(0);
    expect(flagged.stdout).toMatch(/"checkout" has flag: checkout-rollout\. .*ramp it in Unleash/);
    expect((await runCli(['kill', 'checkout', '--file', file])).code).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toContain('    killed: true                # kill switch');
    expect((await runCli(['unkill', 'checkout', '--file', file])).code).toBe(0);
    expect((await runCli(['kill', 'categories', '--file', file])).code).toBe(0);
    // A key the route lacks is added after its last key (here its shadow block), at the route's
    // indentation, and to that route only.
    const killedText = fs.readFileSync(file, 'utf8');
    expect(killedText).toMatch(/name: categories\n(?:.*\n){8} {4}killed: true\n {2}- name: pricing\n/);
    const killed = loadRules(killedText, file);
    if (!killed.ok) throw new Error('invalid after kill');
    expect(killed.rules.routes.filter((r) => r.killed).map((r) => r.name)).toEqual(['categories']);
  });
  test('refuses an unknown route (with a hint), a percent out of range, and an invalid file', async () => {
    const file = copyOfShipped();
    const unknown = await runCli(['ramp', 'product-detial', '10', '--file', file]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown route "product-detial"');
    expect(unknown.stderr).toContain('did you mean "product-detail"?');
    for (const percent of ['101', '-5', 'ten', '2.5']) {
      const bad = await runCli(['ramp', 'product-detail', percent, '--file', file]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe(`strangler: PERCENT must be a whole number 0..100, got "${percent}" (see \`strangler ramp --help\`)\n`);
    }
    fs.writeFileSync(file, SHIPPED.replace('extracted: catalog', 'extracted: catalogue'));
    const invalid = await runCli(['ramp', 'product-detail', '10', '--file', file]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/is invalid .* unknown upstream "catalogue"/);
    expect(fs.readFileSync(file, 'utf8')).toContain('extracted: catalogue'); // nothing written
  });

  test("refuses to raise a route whose diff store mismatch rate is over its shadow budget, unless --force", async () => {
    const file = copyOfShipped();
    const diffDb = path.join(path.dirname(file), 'diffs.sqlite');
    const store = new DiffStore(diffDb);
    await store.open();
    for (let i = 0; i < 40; i++) {
      store.add({ at: Date.now() - 1000, route: 'product-detail', method: 'GET', target: '/api/products/1', servedBy: 'legacy', legacyStatus: 200, extractedStatus: 200,
        legacyMs: 1, extractedMs: 1, outcome: i % 4 === 0 ? 'mismatch' : 'match', paths: i % 4 === 0 ? ['body.price'] : [], noise: [], legacySample: null, extractedSample: null, requestHeaders: {}, source: 'live' });
    }
    await store.close();
    const env = { STRANGLER_DIFF_DB: diffDb };
    const admin = `http://127.0.0.1:${await closedPort()}`;
    const refused = await runCli(['ramp', 'product-detail', '50', '--file', file, '--admin', admin], { env });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('mismatch rate: 25.00% of 40 comparisons in the last 24 h (budget 1.00%)');
    expect(refused.stderr).toContain('the diff store shows 25.00% mismatches for "product-detail", over its 1.00% budget');
    expect(fs.readFileSync(file, 'utf8')).toBe(SHIPPED);
    expect((await runCli(['ramp', 'product-detail', '50', '--force', '--file', file, '--admin', admin], { env })).code).toBe(0);
  });

  describe('with a running proxy', () => {
    let legacy: TestUpstream;
    beforeAll(async () => { legacy = await startUpstream('legacy'); });
    afterAll(async () => { await legacy.close(); });

    test('the proxy is on the new rules within one second of the ramp', async () => {
      const svc = await startUpstream('svc');
      const proxy = await startTestProxy(`version: 1\nupstreams: { legacy: "${legacy.url}", svc: "${svc.url}" }\nroutes:\n  - name: r   # the route\n    match: { path: /x }\n    extracted: svc\n    percent: 0\n`);
      const started = Date.now();
      const ramp = await runCli(['ramp', 'r', '100', '--file', proxy.rulesFile, '--admin', `http://127.0.0.1:${proxy.adminPort}`]);
      expect(ramp.code).toBe(0);
      let seenAt = -1;
      while (Date.now() - started < 6000) {
        const res = await request({ port: proxy.port, path: '/x', headers: { 'x-user-id': 'u' } });
        if (res.headers['x-strangler-backend'] === 'extracted') { seenAt = Date.now(); break; }
      }
      // The figure is the ramp command's own run time (a Node start-up) plus the watch; the README quotes it.
      process.stdout.write(`ramp → proxy on new rules: ${seenAt - started} ms\n`);
      expect(seenAt).not.toBe(-1);
      // About a second in practice (a Node start-up plus the watch); loose for loaded machines.
      expect(seenAt - started).toBeLessThan(5000);
      await proxy.stop();
      await svc.close();
    });

    test('refuses to raise a route whose extracted side is failing, unless --force', async () => {
      const proxy = await startTestProxy(`version: 1\nupstreams: { legacy: "${legacy.url}", svc: "http://127.0.0.1:${await closedPort()}" }\nroutes:\n  - { name: r, match: { path: /x }, extracted: svc, percent: 20 }\n`);
      for (let i = 0; i < 200; i++) await request({ port: proxy.port, path: '/x', headers: { 'x-user-id': `u${i}` } });
      const admin = `http://127.0.0.1:${proxy.adminPort}`;
      const refused = await runCli(['ramp', 'r', '50', '--file', proxy.rulesFile, '--admin', admin]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/refusing to raise "r" to 50%: the extracted side of "r" is failing: 100\.00% errors/);
      expect(fs.readFileSync(proxy.rulesFile, 'utf8')).toContain('percent: 20');
      const lowered = await runCli(['ramp', 'r', '5', '--file', proxy.rulesFile, '--admin', admin]);
      expect(lowered.code).toBe(0); // going down is always allowed
      const forced = await runCli(['ramp', 'r', '50', '--force', '--file', proxy.rulesFile, '--admin', admin]);
      expect(forced.code).toBe(0);
      expect(fs.readFileSync(proxy.rulesFile, 'utf8')).toContain('percent: 50');
      await proxy.stop();
    });
  });
});

describe('what a newcomer trips over on the command line', () => {
  test('--version and --help; a bad --admin URL is a usage error', async () => {
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(`strangler ${(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version}`);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('report [--since 24h]');
    expect(help.stdout).toContain('default data/report');
    expect(help.stdout).toContain('rollout [ROUTE...] [--file F] [--db STORE] [--once | --watch D] [--dry-run] [--resume] [--json]');
    const plan = await runCli(['plan', copyOfShipped(), '--admin', 'notaurl']);
    expect(plan.code).toBe(2);
    expect(plan.stderr).toBe('strangler: --admin must be an http:// URL of the proxy\'s admin port, got "notaurl" (see `strangler plan --help`)\n');
  });

  test('ramp --json prints one JSON document, with the gate\'s figures inside it', async () => {
    const file = copyOfShipped();
    const ramp = await runCli(['ramp', 'product-detail', '50', '--json', '--file', file, '--admin', `http://127.0.0.1:${await closedPort()}`]);
    expect(ramp.code).toBe(0);
    const doc = JSON.parse(ramp.stdout) as { route: string; percent: number; gate: string[] };
    expect(doc).toMatchObject({ route: 'product-detail', percent: 50 });
    expect(doc.gate.some((line) => line.startsWith('error rate: unknown'))).toBe(true);
    // The gate names where it looked and how to point it elsewhere; --require-proxy makes that a refusal.
    expect(doc.gate.find((line) => line.startsWith('error rate: unknown'))).toContain('(set --admin URL, or ADMIN_PORT / ADMIN_HOST)');
    const required = await runCli(['ramp', 'product-detail', '60', '--require-proxy', '--file', file, '--admin', `http://127.0.0.1:${await closedPort()}`]);
    expect(required.code).toBe(1);
    expect(required.stderr).toMatch(/^strangler: refusing to raise "product-detail" to 60%: the proxy's error rate cannot be read \(--require-proxy\): cannot reach the proxy admin at /);
    expect(fs.readFileSync(file, 'utf8')).toContain('percent: 50 ');
  });

  test('traffic against a proxy that is not running says why and exits 1 at once', async () => {
    const started = Date.now();
    const traffic = await runCli(['traffic', '--duration', '20', '--url', `http://127.0.0.1:${await closedPort()}`]);
    expect(traffic.code).toBe(1);
    expect(traffic.stdout).toMatch(/^cannot connect to http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): is npm start running, with the proxy there\? \(set --url URL, or PROXY_PORT\)/);
    expect(Date.now() - started).toBeLessThan(15000); // not the 20 s it was asked to run
  });

  test('a taken port is not retried: the process exits 78 naming the variable to change', async () => {
    const taken = await startUpstream('squatter');
    try {
      const proxy = await runCli(['proxy'], { env: { PROXY_PORT: String(taken.port), ADMIN_PORT: '0', STRANGLER_DIFF_DB: path.join(tempDir('bind'), 'd.sqlite') } });
      expect(proxy.code).toBe(78);
      expect(proxy.stderr).toContain(`cannot listen on port ${taken.port}: the port is in use; set PROXY_PORT to another port`);
      const legacy = await runCli(['legacy'], { env: { LEGACY_PORT: String(taken.port), SHOP_DB: path.join(tempDir('bind'), 'shop.sqlite') } });
      expect(legacy.code).toBe(78);
      expect(legacy.stderr).toContain('set LEGACY_PORT to another port');
    } finally {
      await taken.close();
    }
  });

  test('replay of an unknown route exits 1 naming the closest route', async () => {
    const dir = tempDir('replay');
    const db = path.join(dir, 'diffs.sqlite');
    const store = new DiffStore(db);
    await store.open();
    await store.close();
    const replay = await runCli(['replay', '--route', 'product-detial', '--db', db, '--rules', copyOfShipped()]);
    expect(replay.code).toBe(1);
    expect(replay.stderr).toMatch(/unknown route "product-detial" .*did you mean "product-detail"\?/);
  });
});
