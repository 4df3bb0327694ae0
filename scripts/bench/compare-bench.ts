/**
 * The shadow comparison alone, as the worker thread runs it per sampled read: decode (when
 * compressed), parse, diff, with legacy asked twice (its second answer the same bytes, as in the
 * common case). ~200 KB answers: the benchmark's JSON catalogue (big-answer.ts) and an HTML
 * listing page of the same products. Run on its own: node dist/scripts/bench/compare-bench.js [--iterations N]
 */
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import { judge, type ShadowAnswer } from '../../shadow/compare/compare';
import { decodeAnswer, type WireAnswer } from '../../shadow/decode-answer';
import { bigAnswer } from './big-answer';

export interface ComparisonResult { name: string; bytes: number; msPerComparison: number; iterations: number }

const CAP = 1024 * 1024;
const CONFIG = { ignore: [], arrayKeys: {}, normalisers: [] };

/** ~200 KB of HTML: a product listing as a server-rendered shop writes it, the same bytes every time. */
export function bigPage(changedPrice: string | null = null): Buffer {
  // 280 of the catalogue's products make about 200 KB of HTML.
  const products = (JSON.parse(bigAnswer(280).toString()) as { products: Array<{ id: number; sku: string; name: string; description: string; price: { amount: number }; tags: string[] }> }).products;
  const cards = products.map((p, i) => `    <li class="card product" data-sku="${p.sku}">
      <a href="/products/${p.id}"><img src="/img/${p.id}.svg" alt="${p.name}" width="160" height="160"></a>
      <h2 class="name">${p.name}</h2>
      <p class="description">${p.description} &amp; more</p>
      <p class="tags">${p.tags.map((t) => `<span class="tag">${t}</span>`).join(' ')}</p>
      <p>Price: <span class="price amount">${i === products.length - 1 && changedPrice !== null ? changedPrice : (p.price.amount / 100).toFixed(2)}&nbsp;USD</span></p>
      <form method="post" action="/cart"><input type="hidden" name="sku" value="${p.sku}"><button class="btn btn-primary">Add to cart</button></form>
    </li>`);
  return Buffer.from(`<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Catalogue</title><link rel="stylesheet" href="/app.css"></head>
<body>\n  <main id="catalogue">\n  <ul class="products">\n${cards.join('\n')}\n  </ul>\n  </main>\n</body>\n</html>\n`);
}

function wire(type: string, body: Buffer, encoding?: string): WireAnswer {
  return { status: 200, headers: { 'content-type': type, ...(encoding ? { 'content-encoding': encoding } : {}) }, body, truncated: false, ms: 1 };
}

export interface Contender { name: string; bytes: number; run: () => unknown }

export function contenders(): Contender[] {
  const json = bigAnswer();
  const jsonChanged = Buffer.from(json.toString().replace(/"amount":(\d+)/, (_m, n: string) => `"amount":${Number(n) + 1}`));
  const html = bigPage();
  const htmlChanged = bigPage('0.01');
  const decoded = (w: WireAnswer): ShadowAnswer => decodeAnswer(w, CAP);
  const plain = (type: string, body: Buffer): ShadowAnswer => decoded(wire(type, body));
  const gzJson = [zlib.gzipSync(json), zlib.gzipSync(jsonChanged)];
  const gzHtml = [zlib.gzipSync(html), zlib.gzipSync(htmlChanged)];
  const J = 'application/json';
  const H = 'text/html; charset=utf-8';
  return [
    { name: 'JSON.parse alone, 200 KB (reference)', bytes: json.length, run: () => JSON.parse(json.toString()) },
    { name: 'JSON 200 KB, identical', bytes: json.length, run: () => judge(plain(J, json), plain(J, Buffer.from(json)), plain(J, Buffer.from(json)), CONFIG) },
    { name: 'JSON 200 KB, one price differs', bytes: json.length, run: () => judge(plain(J, json), plain(J, Buffer.from(json)), plain(J, jsonChanged), CONFIG) },
    { name: 'JSON 200 KB gzip, decode + one price differs', bytes: json.length, run: () => judge(decoded(wire(J, gzJson[0], 'gzip')), decoded(wire(J, gzJson[0], 'gzip')), decoded(wire(J, gzJson[1], 'gzip')), CONFIG) },
    { name: 'HTML 200 KB, identical', bytes: html.length, run: () => judge(plain(H, html), plain(H, Buffer.from(html)), plain(H, Buffer.from(html)), CONFIG) },
    { name: 'HTML 200 KB, one price differs', bytes: html.length, run: () => judge(plain(H, html), plain(H, Buffer.from(html)), plain(H, htmlChanged), CONFIG) },
    { name: 'HTML 200 KB gzip, decode + one price differs', bytes: html.length, run: () => judge(decoded(wire(H, gzHtml[0], 'gzip')), decoded(wire(H, gzHtml[0], 'gzip')), decoded(wire(H, gzHtml[1], 'gzip')), CONFIG) },
  ];
}

/** ms per comparison for each contender: the median of `rounds` timed loops of `iterations`, after a warm-up. */
export function benchComparisons(iterations: number, rounds = 5): ComparisonResult[] {
  return contenders().map((c) => {
    const loop = (n: number): number => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < n; i++) c.run();
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    loop(Math.max(1, Math.floor(iterations / 4)));
    const samples = Array.from({ length: rounds }, () => loop(iterations) / iterations).sort((a, b) => a - b);
    return { name: c.name, bytes: c.bytes, msPerComparison: Math.round(samples[Math.floor(rounds / 2)] * 1000) / 1000, iterations };
  });
}

export function comparisonLines(results: readonly ComparisonResult[]): string[] {
  const width = Math.max(...results.map((r) => r.name.length));
  return [`${'comparison'.padEnd(width)}    bytes   ms/comparison`, ...results.map((r) => `${r.name.padEnd(width)} ${String(r.bytes).padStart(8)}   ${r.msPerComparison.toFixed(3).padStart(13)}`)];
}

if (require.main === module) {
  const { values } = parseArgs({ options: { iterations: { type: 'string', default: '20' } }, strict: true });
  const iterations = Number(values.iterations);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000) {
    console.error(`compare-bench: --iterations must be a whole number from 1 to 10000, not ${values.iterations}`);
    process.exit(2);
  }
  for (const line of comparisonLines(benchComparisons(iterations))) console.log(line);
}
