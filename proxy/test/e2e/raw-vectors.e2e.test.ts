/**
 * The raw-socket vector corpus (proxy/test/cases/raw-vectors.yaml) against the real proxy process,
 * with two recording upstreams written on `net`: what the shopper gets back, whether the
 * connection is closed, and exactly what reaches each upstream.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { rawExchange, startRawUpstream, type RawUpstream } from '../../../scripts/testing/raw-upstream';
import { startTestProxy, type TestProxy } from '../../../scripts/testing/upstreams';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';

interface Vector {
  name: string;
  family: string;
  send: string;
  expect: { statuses: number[]; closes?: boolean; reaches?: string[]; never?: string[] };
}

const corpus = parse(fs.readFileSync(path.join(__dirname, '..', 'cases', 'raw-vectors.yaml'), 'utf8')) as { vectors: Vector[] };

/** `@PAD(n,TEXT)@` → n copies of TEXT. */
function expand(send: string): Buffer {
  return Buffer.from(send.replace(/@PAD\((\d+),([\s\S]*?)\)@/g, (_m, n: string, text: string) => text.repeat(Number(n))), 'latin1');
}

let legacy: RawUpstream;
let svc: RawUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  [legacy, svc] = await Promise.all([startRawUpstream('legacy'), startRawUpstream('svc')]);
  proxy = await startTestProxy(`version: 1
upstreams: { legacy: "${legacy.url}", svc: "${svc.url}" }
routes:
  - { name: products, match: { methods: [GET], path: /api/products/:id }, extracted: svc, percent: 100 }
  - { name: cart, match: { path: "/api/cart{/*rest}" }, extracted: svc, percent: 100 }
`);
});

afterAll(async () => {
  const code = await proxy.stop();
  await Promise.all([legacy.close(), svc.close()]);
  expect(code).toBe(0);
});

beforeEach(() => { legacy.reset(); svc.reset(); });
afterEach(() => expectNoCrash(proxy));

test('the corpus covers every family the suite promises', () => {
  const families = new Set(corpus.vectors.map((v) => v.family));
  for (const family of ['CL.TE', 'TE.CL', 'TE.TE', 'content-length', 'control-bytes', 'host', 'target-form', 'http10', 'pipelining', 'CL.0', 'path', 'prefix', 'size', 'headers']) {
    expect(families).toContain(family);
  }
});

test.each(corpus.vectors.map((v) => [`${v.family}: ${v.name}`, v] as const))('%s', async (_name, vector) => {
  const { expect: want } = vector;
  const answer = await rawExchange(proxy.port, expand(vector.send), want.statuses.length);
  expect(answer.statuses).toEqual(want.statuses);
  if (want.closes !== undefined) expect(answer.closedByServer).toBe(want.closes);
  const reached = [
    ...legacy.seen.map((r) => `legacy ${r.method} ${r.target}`),
    ...svc.seen.map((r) => `svc ${r.method} ${r.target}`),
  ];
  // Order across two upstreams is only meaningful per upstream; compare as sorted lists.
  expect(reached.sort()).toEqual([...(want.reaches ?? [])].sort());
  for (const forbidden of want.never ?? []) {
    expect(legacy.bytes()).not.toContain(forbidden);
    expect(svc.bytes()).not.toContain(forbidden);
  }
});
