/**
 * The conversion guard end to end on real processes: a proxy and upstreams on port 0, shoppers who
 * look at a product and some of whom then check out, the proxy's exposed and converted shoppers in
 * its store, and `strangler rollout` judging them. Whether a shopper buys is decided here by the
 * side the proxy served them (a shop whose extracted page loses buyers), deterministically.
 */
import fs from 'node:fs';
import { request } from '../../testing/http-client';
import { runCli } from '../../testing/processes';
import { answerAsShop, startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../testing/upstreams';
import { until } from '../../testing/wait';

let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  answerAsShop(legacy, svc);
  const route = (name: string, minShoppers: number): string => `
  - name: ${name}
    match: { methods: [GET], path: /api/${name}/:id }
    extracted: svc
    percent: 50
    rollout: { steps: [50, 100], min_duration: 1s, min_requests: 1, guard: { goal: order, min_shoppers: ${minShoppers} } }`;
  proxy = await startTestProxy(`version: 1
upstreams: { legacy: "${legacy.url}", svc: "${svc.url}" }
goals:
  order: { route: checkout, status: 2xx }
routes:${route('drops', 60)}${route('equal', 60)}${route('few', 500)}
  - name: checkout
    match: { methods: [POST], path: /api/checkout }
    extracted: svc
    percent: 0
`);
  await until('the proxy to open its store', () => fs.existsSync(proxy.diffDb), 10_000);
}, 30_000);

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([legacy?.close(), svc?.close()]);
});

/**
 * `count` new shoppers each look at a product on `route`; the n-th shopper served by a side checks
 * out when `buys(side, n)` says so. Returns how many each side served.
 */
async function shoppers(route: string, count: number, buys: (side: string, n: number) => boolean): Promise<Record<string, number>> {
  const served: Record<string, number> = { legacy: 0, extracted: 0 };
  for (let i = 0; i < count; i++) {
    const headers = { 'x-user-id': `${route}-shopper-${i}` };
    const page = await request({ port: proxy.port, path: `/api/${route}/1`, headers });
    const side = page.headers['x-strangler-backend'] as string;
    const n = served[side]++;
    if (buys(side, n)) expect((await request({ port: proxy.port, path: '/api/checkout', method: 'POST', headers })).status).toBe(201);
  }
  return served;
}

/** 3 in 10 shoppers buy on legacy; on extracted `extractedEvery`-th ones. */
const rates = (extractedEvery: number) => (side: string, n: number): boolean => (side === 'legacy' ? n % 10 < 3 : n % extractedEvery === 0);

interface Gate { gate: string; status: string; text: string; value: number | null; interval?: [number, number] | null }
interface RouteVerdict { route: string; verdict: string; fromPercent: number; toPercent: number; summary: string; gates: Gate[] }

async function judged(route: string, ...args: string[]): Promise<{ code: number | null; stdout: string; verdict: RouteVerdict }> {
  const result = await runCli(['rollout', route, '--file', proxy.rulesFile, '--db', proxy.diffDb, '--json', ...args]);
  if (result.code !== 0 && result.code !== 3) throw new Error(`rollout failed (${result.code}): ${result.stderr}`);
  return { ...result, verdict: (JSON.parse(result.stdout) as { routes: RouteVerdict[] }).routes[0] };
}

/** Waits (dry runs) until the store holds `wanted` exposed shoppers on the route: the proxy ships them every second. */
const counted = (route: string, wanted: number, decided = true): Promise<RouteVerdict> => until(`${wanted} shoppers of ${route} in the store`, async () => {
  const { verdict } = await judged(route, '--dry-run');
  const gate = verdict.gates.find((g) => g.gate === 'conversion');
  const shoppers = [...(gate?.text.matchAll(/\/(\d+)( shoppers)?\)/g) ?? [])].reduce((sum, m) => sum + Number(m[1]), 0);
  // The shoppers and the request counters reach the store in separate shipments: a verdict that
  // still holds for want of the other evidence is waited out too.
  return shoppers >= wanted && (!decided || verdict.verdict !== 'hold') && verdict;
}, 20_000);

test('extracted converting at 5 % against legacy\'s 30 % is rolled back, exit 3, naming the conversion gate with both rates', async () => {
  const served = await shoppers('drops', 300, rates(20));
  await counted('drops', 300);
  const run = await judged('drops');
  expect(run.code).toBe(3);
  expect(run.verdict).toMatchObject({ verdict: 'rollback', fromPercent: 50, toPercent: 0 });
  expect(run.verdict.summary).toMatch(/^50% → 0%: conversion order: legacy 30\.\d% \(\d+\/\d+ shoppers\), extracted [45]\.\d% \(\d+\/\d+\), drop \d+\.\d% \[\d+\.\d% \.\. \d+\.\d%\] at 95%, max 5\.0%$/);
  const gate = run.verdict.gates.find((g) => g.gate === 'conversion')!;
  expect(gate.status).toBe('failed');
  expect(gate.text).toContain(`/${served.legacy} shoppers)`);
  expect(gate.text).toContain(`/${served.extracted})`);
  expect(gate.interval![0]).toBeGreaterThan(0.05);
  expect(run.verdict.gates.filter((g) => g.status === 'failed').map((g) => g.gate)).toEqual(['conversion']);
  // People read the same gate by name.
  const text = await runCli(['rollout', 'drops', '--file', proxy.rulesFile, '--db', proxy.diffDb]);
  expect(text.stdout).toMatch(/drops: ROLLED BACK at 0%/);
}, 90_000);

test('a route whose sides convert equally is not rolled back', async () => {
  await shoppers('equal', 300, (_side, n) => n % 10 < 3);
  const verdict = await counted('equal', 300);
  expect(verdict.verdict).toBe('advance');
  const run = await judged('equal');
  expect(run.code).toBe(0);
  expect(run.verdict).toMatchObject({ verdict: 'advance', fromPercent: 50, toPercent: 100 });
  expect(run.verdict.gates.find((g) => g.gate === 'conversion')).toMatchObject({ status: 'ok', value: expect.any(Number) });
}, 90_000);

test('too few shoppers hold, saying how many a side there are of how many', async () => {
  await shoppers('few', 40, rates(20));
  const verdict = await counted('few', 40, false);
  const run = await judged('few');
  expect(run.code).toBe(0);
  expect(run.verdict.verdict).toBe('hold');
  expect(run.verdict.summary).toMatch(/(^|, )\d+\/500 shoppers a side; order: legacy /);
  expect(verdict.gates.find((g) => g.gate === 'conversion')!.status).toBe('waiting');
}, 60_000);
