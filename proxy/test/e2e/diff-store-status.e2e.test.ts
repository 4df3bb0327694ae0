/**
 * GET /status `diffStore` and `strangler_diff_store_up` for the embedded store: a proxy that needs
 * no store says so and is up; one whose store cannot be opened still serves shoppers, and says why.
 * (The PostgreSQL cases, down and recovering, are in shadow/test/postgres/.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { request } from '../../../scripts/testing/http-client';
import { tempDir } from '../../../scripts/testing/processes';
import { oneRouteRules, startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';
import { until } from '../../../scripts/testing/wait';

let legacy: TestUpstream;
let svc: TestUpstream;
const running: TestProxy[] = [];

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
});
afterAll(async () => {
  for (const p of running) await p.stop();
  await Promise.all([legacy.close(), svc.close()]);
});

const status = async (p: TestProxy): Promise<Record<string, unknown>> => (await request({ port: p.adminPort, path: '/status' })).json<{ diffStore: Record<string, unknown> }>().diffStore;
const up = async (p: TestProxy): Promise<string | undefined> => /^strangler_diff_store_up (\d)$/m.exec((await request({ port: p.adminPort, path: '/metrics' })).body)?.[1];

test('no route shadows or has a rollout plan: no store is opened, and nothing is failing', async () => {
  const proxy = await startTestProxy(oneRouteRules(legacy.url, svc.url, 'match: { path: /api/x }\npercent: 0'));
  running.push(proxy);
  expect(await status(proxy)).toEqual({ kind: 'sqlite', location: proxy.diffDb, open: false, ok: true, lastError: null, lastErrorAt: null, buffered: 0, dropped: 0 });
  expect(await up(proxy)).toBe('1');
  expect(fs.existsSync(proxy.diffDb)).toBe(false);
});

test('a store that cannot be opened: shoppers are served, sampled requests dropped and counted, /status says why, the gauge is 0', async () => {
  const blocker = path.join(tempDir('blocked'), 'not-a-dir');
  fs.writeFileSync(blocker, 'a file where the store\'s directory should be');
  const diffDb = path.join(blocker, 'diffs.sqlite');
  const proxy = await startTestProxy(oneRouteRules(legacy.url, svc.url, 'match: { path: /api/x }\npercent: 0\nshadow: { percent: 100 }'), { STRANGLER_DIFF_DB: diffDb });
  running.push(proxy);
  const res = await request({ port: proxy.port, path: '/api/x', headers: { 'x-user-id': 'u1' } });
  expect(res.status).toBe(200);
  const view = await until('the failure to show', async () => { const s = await status(proxy); return s.ok === false && s.lastError !== null ? s : null; });
  expect(view).toMatchObject({ kind: 'sqlite', location: diffDb, open: true, ok: false, lastError: expect.stringMatching(/ENOTDIR|EEXIST|not a directory/i), buffered: 0 });
  expect(await up(proxy)).toBe('0');
});
