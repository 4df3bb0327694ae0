import fs from 'node:fs';
import { request } from '../../../scripts/testing/http-client';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';
import { startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';
import { until } from '../../../scripts/testing/wait';

/**
 * GET /stats `rules` and `workers`, what the dashboard shows at the top: a rejected edit of the
 * rules file (a ramp is one) is there with its error line until a good edit, in one process and
 * in a cluster (where the primary, not its workers, reads the file).
 */

interface RulesHealth { epoch: number; servingLastGood: boolean; error: string | null; lastReloadAt: string }
interface Stats { epoch: number; rules: RulesHealth; workers: number; routes: Array<{ name: string; percent: number }> }

let legacy: TestUpstream;
let svc: TestUpstream;
const started: TestProxy[] = [];

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
});
afterEach(async () => {
  for (const p of started) expectNoCrash(p);
  await Promise.all(started.splice(0).map((p) => p.stop()));
});
afterAll(async () => {
  await Promise.all([legacy.close(), svc.close()]);
});

const rules = (percentLine: string): string => `version: 1
upstreams: { legacy: ${legacy.url}, svc: ${svc.url} }
routes:
  - name: items
    match: { path: /api/items/:id }
    extracted: svc
    ${percentLine}
`;

test.each([['one process', '1', 1], ['two workers', '2', 2]])('%s: /stats says a rejected rules edit with its error line, keeps the last good rules, and clears once a good edit is in', async (_, workers, serving) => {
  const proxy = await startTestProxy(rules('percent: 0'), { STRANGLER_WORKERS: workers });
  started.push(proxy);
  const stats = async (): Promise<Stats> => (await request({ port: proxy.adminPort, path: '/stats' })).json<Stats>();

  const fine = await stats();
  expect(fine.rules).toMatchObject({ epoch: 1, servingLastGood: false, error: null });
  expect(fine.workers).toBe(serving);

  // A ramp with a typo in the key: line 7, column 5.
  fs.writeFileSync(proxy.rulesFile, rules('percnt: 50'));
  const rejected = await until('the rejected edit in /stats', async () => { const s = await stats(); return s.rules.servingLastGood ? s : null; }, 10_000);
  expect(rejected.epoch).toBe(1);
  expect(rejected.rules.epoch).toBe(1);
  expect(rejected.rules.error).toMatch(new RegExp(`^${proxy.rulesFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:7:5: error: .*percnt`, 'm'));
  expect(Number.isNaN(Date.parse(rejected.rules.lastReloadAt))).toBe(false);
  expect(rejected.routes[0].percent).toBe(0);
  expect(rejected.workers).toBe(serving);
  expect((await request({ port: proxy.port, path: '/api/items/1', headers: { 'x-user-id': 'u1' } })).headers['x-strangler-backend']).toBe('legacy');

  fs.writeFileSync(proxy.rulesFile, rules('percent: 100'));
  const fixed = await until('the good edit in /stats', async () => { const s = await stats(); return s.rules.epoch === 2 ? s : null; }, 10_000);
  expect(fixed.rules).toMatchObject({ epoch: 2, servingLastGood: false, error: null });
  expect(fixed.epoch).toBe(2);
}, 60_000);
