/**
 * The comparison engine through the real proxy: real upstream servers on port 0, the proxy process,
 * its shadow worker thread (the compiled one: build first) and the diff store it writes. Each case
 * is a route of its own whose rows are read back from the store.
 */
import Database from 'better-sqlite3';
import http from 'node:http';
import zlib from 'node:zlib';
import fs from 'node:fs';
import path from 'node:path';
import { request } from '../../../scripts/testing/http-client';
import { runCli, tempDir } from '../../../scripts/testing/processes';
import { until } from '../../../scripts/testing/wait';
import { startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';

interface Answer { readonly type?: string; readonly headers?: Record<string, string>; readonly body: string | Buffer }
/** How a side answers a case; `n` counts that side's requests for the case from 0. */
type Answering = (n: number, req: http.IncomingMessage) => Answer;
interface Case { readonly legacy: Answering; readonly extracted: Answering; readonly shadow?: string }

const json = (value: string): Answering => () => ({ body: value });

const PRODUCT = JSON.stringify({ id: 7, name: 'Café mug', price: 1299, tags: ['kitchen', 'mugs'], description: 'A mug. '.repeat(40) });
/** As Express's compression() answers: the body gzipped, `content-encoding: gzip`, `vary: accept-encoding`. */
const gzipped = (body: string): Answer => ({ headers: { 'content-encoding': 'gzip', vary: 'accept-encoding' }, body: zlib.gzipSync(body) });

const HTML = 'text/html; charset=utf-8';
/** A product page as the monolith renders it: indented, `class="price amount"`, `<br>`, `&amp;`; a nonce, and a render id that changes on every render unless given. */
const legacyPage = (price: string, render = String(Math.random())): string => `<!DOCTYPE html>
<html>
  <head><title>Mug &amp; saucer</title><script nonce="${Math.random()}">track()</script></head>
  <body data-render="${render}">
    <main>
      <h1>Mug &amp; saucer</h1>
      <p class="lead">Stoneware<br>dishwasher safe</p>
      <p>Price: <span class="price amount">${price}</span></p>
    </main>
    <footer>rendered ${render}</footer>
  </body>
</html>`;
/** The same page as the extracted service renders it: other markup, the same document. */
const extractedPage = (price: string, render = String(Math.random())): string => `<!doctype html><html><head><title>Mug &#38; saucer</title><script nonce="${Math.random()}">track()</script></head>`
  + `<body data-render="${render}"><main><h1>Mug &#38; saucer</h1><p class=lead>Stoneware<br/>dishwasher safe</p><p>Price: <span class="amount  price">${price}</span></p></main>`
  + `<footer>rendered ${render}</footer></body></html>`;

/** The capture cap of this test's proxy: the cases below it are answered in fewer bytes. */
const CAP = 8192;
/** About 20 KB of JSON: the same first part on both sides, a different price at the very end. */
const catalogue = (last: number): string => JSON.stringify({ items: Array.from({ length: 500 }, (_, i) => ({ id: i, name: `Product ${i}`, price: i === 499 ? last : 100 + i })) });

/**
 * A product over 20 requests (`k` numbers the shopper's request; legacy's first answer to it is the
 * shopper's, its second the mirror's):
 * - `cache`: over each four requests legacy disagrees with itself twice and with extracted twice,
 *   not on the same requests: on one of the four, legacy agrees with itself and extracted differs;
 * - `stock`: extracted gets it wrong on every fifth request, legacy always agrees with itself;
 * - `eta`: legacy disagrees with itself once (k = 1), extracted gets it wrong on 5 requests.
 */
const windowProduct = (side: 'legacy' | 'extracted'): Answering => {
  return (_n, req) => {
    const k = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('k'));
    // The shopper's answer, or the mirror's (legacy's second): the mirror is asked at the same moment
    // as the shopper's request, so which reaches legacy first is a race; the header says which is which.
    const call = req.headers['x-strangler-mirror'] === '1' ? 1 : 0;
    const legacyCache = [['HIT', 'MISS'], ['MISS', 'HIT'], ['HIT', 'HIT'], ['HIT', 'HIT']][k % 4][Math.min(call, 1)];
    const cache = side === 'legacy' ? legacyCache : ['HIT', 'HIT', 'MISS', 'HIT'][k % 4];
    const stock = side === 'extracted' && k % 5 === 0 ? 0 : 12;
    const eta = side === 'legacy' ? (k === 1 && call === 1 ? '3 days' : '2 days') : (k % 4 === 3 ? '4 days' : '2 days');
    return { body: JSON.stringify({ id: 7, price: 1299, stock, eta, cache }) };
  };
};

const CASES: Record<string, Case> = {
  'window-noise': { legacy: windowProduct('legacy'), extracted: windowProduct('extracted') },
  'past-cap': { legacy: json(catalogue(1)), extracted: json(catalogue(2)) },
  // About 2 KB once gzipped, within the cap as sent; past it once decoded.
  'past-cap-gzip': { legacy: () => gzipped(catalogue(1)), extracted: () => gzipped(catalogue(1)) },
  // The same render id on both sides: any difference left would be the markup's.
  'html-same': { legacy: () => ({ type: HTML, ...gzipped(legacyPage('12.00 EUR', 'r1')) }), extracted: () => ({ type: HTML, body: extractedPage('12.00 EUR', 'r1') }) },
  // The footer says who rendered the page: left out by the route's ignore entry, written without hints.
  'html-ignored': {
    legacy: () => ({ type: HTML, body: legacyPage('12.00 EUR', 'r1').replace('<footer>', '<footer class="site">monolith ') }),
    extracted: () => ({ type: HTML, body: extractedPage('12.00 EUR', 'r1').replace('<footer>', '<footer class="site">catalog service ') }),
    shadow: 'ignore: [html.body.footer]',
  },
  'html-price': { legacy: () => ({ type: HTML, body: legacyPage('12.00 EUR') }), extracted: () => ({ type: HTML, body: extractedPage('13.00 EUR') }) },
  'gzip-same': { legacy: () => gzipped(PRODUCT), extracted: json(PRODUCT) },
  'br-vs-gzip-price': { legacy: () => ({ headers: { 'content-encoding': 'br' }, body: zlib.brotliCompressSync(PRODUCT) }), extracted: () => gzipped(PRODUCT.replace('1299', '1199')) },
  'gzip-corrupt': { legacy: json(PRODUCT), extracted: () => ({ headers: { 'content-encoding': 'gzip' }, body: 'not a gzip stream' }) },
  'big-id-differs': { legacy: json('{"orderId": 9007199254740993, "total": 1299}'), extracted: json('{"orderId": 9007199254740992, "total": 1299}') },
  'number-forms': { legacy: json('{"qty": 100, "price": 12.5, "discount": -0, "id": 12345678901234567890}'), extracted: json('{"qty": 1e2, "price": 12.50, "discount": 0, "id": 12345678901234567890.0}') },
};

let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;

function answering(side: 'legacy' | 'extracted'): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const counts = new Map<string, number>();
  return (req, res) => {
    const name = /^\/c\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? '';
    const c = CASES[name];
    if (!c) { res.writeHead(404).end(); return; }
    const n = counts.get(name) ?? 0;
    counts.set(name, n + 1);
    const answer = c[side](n, req);
    const body = Buffer.isBuffer(answer.body) ? answer.body : Buffer.from(answer.body);
    res.writeHead(200, { 'content-type': answer.type ?? 'application/json', 'content-length': body.length, ...answer.headers });
    res.end(body);
  };
}

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  legacy.handle(answering('legacy'));
  svc.handle(answering('extracted'));
  const routes = Object.entries(CASES).map(([name, c]) => `  - { name: ${name}, match: { path: /c/${name} }, extracted: svc, percent: 0, shadow: { percent: 100${c.shadow ? `, ${c.shadow}` : ''} } }`);
  proxy = await startTestProxy(`version: 1\nupstreams: { legacy: "${legacy.url}", svc: "${svc.url}" }\nroutes:\n${routes.join('\n')}\n`,
    { STRANGLER_SHADOW_CAPTURE_BYTES: String(CAP) });
}, 20000);
afterAll(async () => {
  await proxy.stop();
  await Promise.all([legacy.close(), svc.close()]);
});

interface Row { outcome: string; paths: string[]; noise: string[]; legacy_sample: string | null; extracted_sample: string | null }

function storedRows(name: string): Row[] {
  let db: Database.Database;
  try {
    db = new Database(proxy.diffDb, { readonly: true, fileMustExist: true });
  } catch {
    return []; // the worker creates the store when the first shadowed route loads
  }
  try {
    return (db.prepare('SELECT outcome, paths, noise, legacy_sample, extracted_sample FROM diffs WHERE route = ? ORDER BY id').all(name) as Array<Row & { paths: string; noise: string }>)
      .map((r) => ({ ...r, paths: JSON.parse(r.paths) as string[], noise: JSON.parse(r.noise) as string[] }));
  } finally {
    db.close();
  }
}

/** Sends `count` shopper requests to a case (the i-th with `?k=i`) and waits for their rows in the diff store; returns those rows. */
async function shop(name: string, count = 1, headers: Record<string, string> = {}): Promise<{ bodies: Buffer[]; rows: Row[] }> {
  const before = storedRows(name).length;
  const bodies: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const res = await get(`/c/${name}?k=${i}`, { 'x-user-id': `u${i}`, ...headers });
    expect(res.status).toBe(200);
    bodies.push(res.body);
  }
  const rows = await until(`${count} row(s) of ${name}`, () => {
    const all = storedRows(name);
    return all.length >= before + count ? all.slice(before) : null;
  }, 10000);
  return { bodies, rows };
}

/** A shopper's GET, the body as the bytes received. */
function get(path: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: proxy.port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** A row's differing paths that legacy did not also disagree with itself at. */
const unexplained = (row: Row): string[] => row.paths.filter((p) => !row.noise.includes(p));

async function metric(name: string, outcome: string): Promise<number> {
  const text = (await request({ port: proxy.adminPort, path: '/metrics' })).body;
  const match = new RegExp(`strangler_shadow_requests_total\\{route="${name}",outcome="${outcome}"\\} (\\d+)`).exec(text);
  return match ? Number(match[1]) : 0;
}

describe('numbers beyond 2^53', () => {
  test('two order ids a unit apart differ, although both round to the same double', async () => {
    const { rows } = await shop('big-id-differs');
    expect(rows.map((r) => [r.outcome, r.paths])).toEqual([['mismatch', ['body.orderId']]]);
    // The stored samples keep the ids as sent, so the report shows why they differ.
    expect(rows[0].legacy_sample).toContain('9007199254740993');
    expect(rows[0].extracted_sample).toContain('9007199254740992');
    await until('the mismatch in /metrics', async () => (await metric('big-id-differs', 'mismatch')) === 1);
  });
  test('100 and 1e2, 12.5 and 12.50, -0 and 0, an integer and the same with .0 are equal', async () => {
    const { rows } = await shop('number-forms');
    expect(rows.map((r) => [r.outcome, r.paths])).toEqual([['match', []]]);
  });
});

describe('compressed answers', () => {
  test('legacy gzipped (as compression() does) and extracted plain, same JSON: a match; the shopper gets legacy\'s gzip bytes untouched', async () => {
    const { bodies, rows } = await shop('gzip-same', 2, { 'accept-encoding': 'gzip' });
    expect(rows.map((r) => [r.outcome, r.paths])).toEqual([['match', []], ['match', []]]);
    expect(bodies[0].equals(zlib.gzipSync(PRODUCT))).toBe(true);
  });
  test('brotli against gzip with a different price: a mismatch at body.price, not at the whole body', async () => {
    const { rows } = await shop('br-vs-gzip-price', 1, { 'accept-encoding': 'gzip, br' });
    expect(rows.map((r) => [r.outcome, r.paths])).toEqual([['mismatch', ['body.price']]]);
    expect(rows[0].extracted_sample).toContain('1199');
  });
  test('a corrupt gzip stream is a mismatch saying so; the worker goes on comparing', async () => {
    const { rows } = await shop('gzip-corrupt');
    expect(rows.map((r) => [r.outcome, r.paths])).toEqual([['mismatch', ['body(undecodable)']]]);
    expect(rows[0].extracted_sample).toMatch(/^\[body not decodable: gzip body cannot be decoded: incorrect header check\]$/);
    expect((await shop('gzip-same')).rows.map((r) => r.outcome)).toEqual(['match']);
  });
});

describe('HTML compared as a document', () => {
  test('other markup for the same document (class order, <br/>, &#38;, whitespace, a nonce), gzipped on one side: a match', async () => {
    const { rows } = await shop('html-same', 2);
    expect(rows.map((r) => [r.outcome, r.paths, r.noise])).toEqual([['match', [], []], ['match', [], []]]);
  });
  test('a route\'s ignore entry leaves out an element and what is in it (rules accept html paths)', async () => {
    const { rows } = await shop('html-ignored');
    expect(rows.map((r) => [r.outcome, r.paths])).toEqual([['match', []]]);
  });
  test('a render id and a nonce on every answer do not hide a price that changed: a mismatch at the price\'s element', async () => {
    const { rows } = await shop('html-price', 2);
    const price = 'html.body.main.p[1].span(.amount.price): text';
    expect(rows.map((r) => [r.outcome, unexplained(r)])).toEqual([['mismatch', [price]], ['mismatch', [price]]]);
    expect(rows[0].paths).toEqual(expect.arrayContaining([price, 'html.body: @data-render', 'html.body.footer: text']));
    expect(rows[0].noise).toEqual(expect.arrayContaining(['html.body: @data-render', 'html.body.footer: text']));
  });
});

describe('answers past the capture cap', () => {
  test('a difference past the cap is not a silent match: the comparison is truncated, in the store, /metrics and /status', async () => {
    expect(catalogue(1).length).toBeGreaterThan(2 * CAP);
    const { rows } = await shop('past-cap', 2);
    expect(rows.map((r) => [r.outcome, r.paths])).toEqual([['truncated', ['body(truncated)']], ['truncated', ['body(truncated)']]]);
    await until('the truncated outcomes in /metrics', async () => (await metric('past-cap', 'truncated')) === 2);
    expect(await metric('past-cap', 'match')).toBe(0);
    const status = (await request({ port: proxy.adminPort, path: '/status' })).json<{ routes: Array<{ name: string; shadow: { outcomes: Record<string, number> } }> }>();
    expect(status.routes.find((r) => r.name === 'past-cap')?.shadow.outcomes).toEqual({ match: 0, mismatch: 0, truncated: 2, error: 0, dropped: 0, skipped: 0 });
  });
  test('a gzip body within the cap as sent but past it once decoded is truncated too', async () => {
    const { bodies, rows } = await shop('past-cap-gzip', 1, { 'accept-encoding': 'gzip' });
    expect(bodies[0].length).toBeLessThan(CAP);
    expect(rows.map((r) => r.outcome)).toEqual(['truncated']);
  });
});

describe('noise judged over the window, as Diffy does', () => {
  test('a field legacy answers differently only now and then is noise in the report, also where legacy agreed with itself; fields extracted gets wrong more often than legacy disagrees with itself stay mismatches', async () => {
    const { rows } = await shop('window-noise', 20);
    // Each request on its own: the 5 requests where legacy agreed with itself on `cache` look like
    // mismatches, with those where extracted got `stock` or `eta` wrong: 12 requests.
    expect(rows.filter((r) => r.outcome === 'mismatch')).toHaveLength(12);
    await shop('past-cap');

    const out = tempDir('compare-report');
    const report = await runCli(['report', '--db', proxy.diffDb, '--rules', proxy.rulesFile, '--out', out]);
    expect(report.code).toBe(1); // routes over their budget
    const json = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    const route = json.routes.find((r: { route: string }) => r.route === 'window-noise');
    // Over the window: `cache` is noise; `eta` is not (legacy disagreed with itself once, extracted
    // differed five times), nor is `stock`: 8 requests mismatch.
    expect(route).toMatchObject({ compared: 20, matched: 12, mismatches: 8, truncated: 0, mismatchRate: 0.4, noiseRequests: 20 });
    expect(route.topPaths.map((p: { path: string; count: number }) => [p.path, p.count])).toEqual([['body.eta', 5], ['body.stock', 4]]);
    expect(route.noiseFields).toEqual([
      { field: 'body.cache', legacyDiffers: 10, extractedDiffers: 10, legacyRate: 0.5, extractedRate: 0.5, relativePercent: 0, absolutePercent: 0, noise: true },
      { field: 'body.eta', legacyDiffers: 1, extractedDiffers: 5, legacyRate: 0.05, extractedRate: 0.25, relativePercent: 400 / 6, absolutePercent: 20, noise: false },
    ]);
    expect(json.noiseThresholds).toEqual({ relativePercent: 20, absolutePercent: 0.03 });
    const capped = json.routes.find((r: { route: string }) => r.route === 'past-cap');
    expect(capped).toMatchObject({ compared: 0, matched: 0, mismatches: 0, mismatchRate: null });
    expect(capped.truncated).toBeGreaterThanOrEqual(1);

    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('| window-noise | 20 | 20 | 12 | 0 | 0 | 0 | 8 | 40.00% |');
    expect(md).toContain('| `body.cache` | 50.00% (10) | 50.00% (10) | 0.0% | 0.00 pts | noise |');
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('<tr><td><code>body.cache</code></td><td>50.00% (10)</td><td>50.00% (10)</td>');
  }, 30000);
});
