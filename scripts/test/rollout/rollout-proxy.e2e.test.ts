/**
 * `strangler rollout` against a real proxy and real upstreams on port 0: the proxy writes the
 * evidence (traffic counters and shadow comparisons) into its store, the rollout reads it and
 * edits the proxy's rules file, the proxy reloads it. Steps of 2 s and 20 requests.
 */
import fs from 'node:fs';
import type http from 'node:http';
import { request } from '../../testing/http-client';
import { runCli } from '../../testing/processes';
import { startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../testing/upstreams';
import { until } from '../../testing/wait';

const PLAN = 'rollout: { steps: [5, 25, 50, 100], min_duration: 2s, min_requests: 20, max_error_rate: 0.01 }';

let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;
/** How the extracted service answers, per route path prefix; the default is legacy's own answer. */
const extractedAnswers = new Map<string, (res: http.ServerResponse) => void>();

/** Both sides give the same product unless a test says otherwise. */
function product(res: http.ServerResponse, price = 1299): void {
  const body = JSON.stringify({ id: 1, name: 'Mug', price });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  legacy.handle((_req, res) => product(res));
  svc.handle((req, res) => (extractedAnswers.get(req.url!.split('/')[2]) ?? product)(res));
  const route = (name: string, percent: number, shadow: boolean): string => `
  - name: ${name}
    match: { path: /api/${name}/:id }
    extracted: svc
    percent: ${percent}                 # the share sent to extracted
    fallback: legacy${shadow ? '\n    shadow: { percent: 100, budget: 0.01 }' : ''}
    ${PLAN}`;
  proxy = await startTestProxy(`version: 1
upstreams: { legacy: "${legacy.url}", svc: "${svc.url}" }
routes:${route('healthy', 5, true)}${route('failing', 25, false)}${route('differs', 25, true)}
`);
  await until('the proxy to open its store', () => fs.existsSync(proxy.diffDb), 10_000);
}, 30_000);

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([legacy?.close(), svc?.close()]);
});

let nextUser = 0;
/** Shoppers on `route` until `wanted` of them were sent to extracted (served by it or by the fallback). */
async function shop(route: string, wanted: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (let sent = 0; sent < wanted && Date.now() < deadline;) {
    const res = await request({ port: proxy.port, path: `/api/${route}/1`, headers: { 'x-user-id': `shopper-${nextUser++}` } });
    if (res.headers['x-strangler-backend'] !== 'legacy') sent++;
  }
}

interface RouteVerdict { route: string; verdict: string; fromPercent: number; toPercent: number; summary: string }

async function judged(route: string, ...args: string[]): Promise<{ code: number | null; stdout: string; verdict: RouteVerdict }> {
  const result = await runCli(['rollout', route, '--file', proxy.rulesFile, '--db', proxy.diffDb, '--json', ...args]);
  if (result.code !== 0 && result.code !== 3) throw new Error(`rollout failed (${result.code}): ${result.stderr}`);
  return { ...result, verdict: (JSON.parse(result.stdout) as { routes: RouteVerdict[] }).routes[0] };
}

/** Waits until a dry run says the step is decided (not hold): the counters are in and 2 s have passed. */
const decided = (route: string): Promise<RouteVerdict> =>
  until(`a verdict other than hold for ${route}`, async () => { const { verdict } = await judged(route, '--dry-run'); return verdict.verdict !== 'hold' && verdict; }, 15_000);

const filePercent = (route: string): number => Number(new RegExp(`name: ${route}\\n(?:.*\\n){2}\\s+percent: (\\d+)`).exec(fs.readFileSync(proxy.rulesFile, 'utf8'))![1]);

async function proxyPercent(route: string): Promise<number> {
  const status = (await request({ port: proxy.adminPort, path: '/status' })).json<{ routes: Array<{ name: string; percent: number }> }>();
  return status.routes.find((r) => r.name === route)!.percent;
}

test('a healthy route advances 5 → 25 → 50 → 100 over successive runs, then is complete', async () => {
  const first = await judged('healthy');
  expect(first.verdict).toMatchObject({ verdict: 'hold', fromPercent: 5 });
  expect(first.verdict.summary).toMatch(/^\d+\/20 requests, \d+m?s\/2s$|^\d+m?s\/2s$/);
  for (const [from, to] of [[5, 25], [25, 50], [50, 100]]) {
    await shop('healthy', 25);
    expect(await decided('healthy')).toMatchObject({ verdict: 'advance', fromPercent: from, toPercent: to });
    const run = await judged('healthy');
    expect(run.code).toBe(0);
    expect(run.verdict).toMatchObject({ verdict: 'advance', fromPercent: from, toPercent: to, summary: `${from}% → ${to}%: every gate holds` });
    expect(filePercent('healthy')).toBe(to);
    expect(fs.readFileSync(proxy.rulesFile, 'utf8')).toContain(`percent: ${to}${' '.repeat(18 - String(to).length)}# the share sent to extracted`);
    await until(`the proxy at ${to}%`, async () => (await proxyPercent('healthy')) === to, 5000);
  }
  await shop('healthy', 25);
  const complete = await decided('healthy');
  expect(complete).toMatchObject({ verdict: 'complete', fromPercent: 100, toPercent: 100 });
  // At 100 % for seconds, not retire_after (30d): legacy is not ready to go.
  expect(complete.summary).toMatch(/^not ready to retire legacy: \d+m?s\/30d at 100%, 0\.00% mismatches in \d+ comparisons since reaching 100%$/);
}, 90_000);

// Without shadow, so that the error rate alone decides (shadow would see the 503s as mismatches too).
test('a route whose extracted side starts failing is rolled back to 0 and the exit is 3; shoppers go to legacy', async () => {
  expect((await judged('failing')).verdict.verdict).toBe('hold');
  await shop('failing', 3);
  extractedAnswers.set('failing', (res) => { res.writeHead(503, { 'content-length': 0 }); res.end(); });
  await shop('failing', 3);
  expect(await decided('failing')).toMatchObject({ verdict: 'rollback' });
  const run = await judged('failing');
  expect(run.code).toBe(3);
  expect(run.verdict).toMatchObject({ verdict: 'rollback', fromPercent: 25, toPercent: 0 });
  expect(run.verdict.summary).toMatch(/^25% → 0%: error rate \d+ failures in \d+ requests: already over 1\.00% of 20 whatever the rest are/);
  expect(filePercent('failing')).toBe(0);
  await until('the proxy at 0%', async () => (await proxyPercent('failing')) === 0, 5000);
  const after = await request({ port: proxy.port, path: '/api/failing/1', headers: { 'x-user-id': 'shopper-after' } });
  expect(after.headers['x-strangler-backend']).toBe('legacy');
  // It stays rolled back, reported without paging again.
  const again = await judged('failing');
  expect(again.code).toBe(0);
  expect(again.verdict.verdict).toBe('rolled-back');
}, 60_000);

test('a route whose extracted answer differs in a field under shadow is rolled back on mismatches (exit 3)', async () => {
  extractedAnswers.set('differs', (res) => product(res, 1300));
  await shop('differs', 2);
  const verdict = await decided('differs');
  expect(verdict).toMatchObject({ verdict: 'rollback', fromPercent: 25, toPercent: 0 });
  expect(verdict.summary).toMatch(/^25% → 0%: mismatch rate /);
  const run = await judged('differs');
  expect(run.code).toBe(3);
  expect(filePercent('differs')).toBe(0);
}, 60_000);
