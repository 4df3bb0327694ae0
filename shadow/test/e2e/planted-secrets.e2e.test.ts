/**
 * A property test with planted secrets: random tokens, passwords, e-mail addresses and card numbers
 * sent the ways shoppers send them (Authorization, Cookie, secret-named query parameters and JSON
 * fields), echoed back by both sides so they sit in every stored sample. After the run, none of
 * them is anywhere in the diff store (main file and WAL), the proxy's log or the report.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import { request } from '../../../scripts/testing/http-client';
import { runCli, tempDir } from '../../../scripts/testing/processes';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';
import { startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';

let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;

/** Echoes what the shopper sent, under the names it was sent with; the sides differ in `price`. */
function echo(side: string) {
  return (req: http.IncomingMessage, res: http.ServerResponse, body: string): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    const payload = JSON.stringify({
      price: side === 'legacy' ? 1299 : 1300,
      query: Object.fromEntries(url.searchParams),
      authorization: req.headers.authorization ?? null,
      body: body ? JSON.parse(body) : null,
      note: `order confirmation sent to ${(body && (JSON.parse(body) as { contact?: string }).contact) || 'nobody'}`,
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  };
}

beforeAll(async () => {
  [legacy, svc] = await Promise.all([startUpstream('legacy'), startUpstream('svc')]);
  legacy.handle(echo('legacy'));
  svc.handle(echo('svc'));
  proxy = await startTestProxy(`version: 1
upstreams: { legacy: "${legacy.url}", svc: "${svc.url}" }
routes:
  - { name: account, match: { path: /api/account }, extracted: svc, percent: 0, shadow: { percent: 100 } }
`);
});

afterAll(async () => {
  await proxy.stop();
  await Promise.all([legacy.close(), svc.close()]);
});

const token = fc.stringMatching(/^[A-Za-z0-9]{16,28}$/).map((s) => `Zq${s}`);
const email = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9.]{3,12}$/), fc.constantFrom('example.com', 'shop.example', 'mail.test')).map(([user, host]) => `${user}@${host}`);
/** A random Luhn-valid 16-digit card number, printed plain, spaced or dashed. */
const card = fc.tuple(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 15, maxLength: 15 }), fc.constantFrom('', ' ', '-')).map(([digits, sep]) => {
  const body = [4, ...digits.slice(1)];
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    let d = body[14 - i];
    if (i % 2 === 0) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  const all = [...body, (10 - (sum % 10)) % 10].join('');
  return sep === '' ? all : all.match(/.{4}/g)!.join(sep);
});
const secretParam = fc.constantFrom('token', 'password', 'api_key', 'session', 'auth', 'otp', 'secret');
const secretField = fc.constantFrom('password', 'cvv', 'cvc', 'cardNumber', 'token', 'secret', 'apiKey');

test('no planted secret reaches the diff store, the log or the report', async () => {
  const planted = new Set<string>();
  await fc.assert(fc.asyncProperty(
    fc.record({ bearer: token, cookie: token, param: secretParam, paramValue: token, field: secretField, fieldValue: token, email, card }),
    async (s) => {
      for (const secret of [s.bearer, s.cookie, s.paramValue, s.fieldValue, s.email, s.card]) planted.add(secret);
      const res = await request({
        port: proxy.port, method: 'POST', path: `/api/account?${s.param}=${encodeURIComponent(s.paramValue)}&page=2`,
        headers: { authorization: `Bearer ${s.bearer}`, cookie: `sid=${s.cookie}`, 'content-type': 'application/json', 'x-user-id': s.bearer.slice(0, 8), 'idempotency-key': s.cookie.slice(0, 10) },
        body: JSON.stringify({ [s.field]: s.fieldValue, contact: s.email, payment: { number: s.card, holder: 'A Shopper' }, comment: `call me at ${s.email}` }),
      });
      expect(res.status).toBe(200);
    },
  ), { numRuns: 40 });
  // Every sampled request was compared (the shadow side sees a dry-run POST) before we look.
  const until = Date.now() + 5000;
  while (svc.seen.length < 40 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  expectNoCrash(proxy);
  expect(await proxy.stop()).toBe(0); // flushes the store and the log

  const db = new Database(proxy.diffDb, { readonly: true });
  const rows = (db.prepare("SELECT COUNT(*) AS n FROM diffs WHERE route = 'account' AND legacy_sample IS NOT NULL AND extracted_sample IS NOT NULL").get() as { n: number }).n;
  db.close();
  expect(rows).toBeGreaterThanOrEqual(40);

  const out = tempDir('secrets-report');
  const report = await runCli(['report', '--db', proxy.diffDb, '--rules', proxy.rulesFile, '--out', out]);
  expect([0, 1]).toContain(report.code);
  const stored = [proxy.diffDb, `${proxy.diffDb}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f).toString('latin1')).join('');
  const reports = fs.readdirSync(out).map((f) => fs.readFileSync(path.join(out, f), 'utf8')).join('');
  const logs = proxy.process.lines.join('\n');
  // The samples are there (the test is looking at real rows), with the secrets masked.
  expect(stored + reports).toContain('[redacted]');
  expect(planted.size).toBeGreaterThanOrEqual(200);
  for (const secret of planted) {
    expect({ secret, inStore: stored.includes(secret), inReport: reports.includes(secret), inLog: logs.includes(secret) })
      .toEqual({ secret, inStore: false, inReport: false, inLog: false });
  }
}, 60000);
