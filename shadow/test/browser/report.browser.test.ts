import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { REPO_ROOT, tempDir } from '../../../scripts/testing/processes';
import { buildReport } from '../../report/model';
import { renderHtml } from '../../report/render-html';
import { DiffStore, type DiffRow } from '../../store/diff-store';

/** Debian's Chromium, installed by scripts/install-chromium.sh (run by .ci/run). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function chromium(args: string[]): string {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run scripts/install-chromium.sh (as root) or set CHROMIUM_PATH`);
  return execFileSync(CHROMIUM, [...FLAGS, `--user-data-dir=${fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-'))}`, ...args], { encoding: 'utf8', timeout: 60000, stdio: ['ignore', 'pipe', 'ignore'] });
}

function row(route: string, at: number, mismatch: boolean, legacyMs: number, extractedMs: number): DiffRow {
  return {
    at, route, method: 'GET', target: '/api/products/7?q=[redacted]', servedBy: 'legacy', legacyStatus: 200, extractedStatus: 200, legacyMs, extractedMs,
    outcome: mismatch ? 'mismatch' : 'match', paths: mismatch ? ['body.product.price.amount'] : [], noise: ['body.nonce'],
    legacySample: mismatch ? '{"product":{"price":{"amount":1299}}}' : null, extractedSample: mismatch ? '{"product":{"price":{"amount":1300}}}' : null,
    requestHeaders: {}, source: 'live',
  };
}

test('the report renders in a real headless Chromium, its charts have content, and a screenshot is written', async () => {
  const file = path.join(tempDir('browser'), 'diffs.sqlite');
  const store = new DiffStore(file);
  const reader = await store.open();
  const now = Date.now();
  for (let i = 0; i < 300; i++) {
    const at = now - (i % 6) * 3600_000 - 1000;
    store.add(row('product-detail', at, i % 10 === 0, 4 + (i % 7), 3 + (i % 5)));
    store.add(row('product-list', at, false, 8 + (i % 3), 6 + (i % 4)));
  }
  await store.flush();
  const report = await buildReport(reader, file, now - 24 * 3600_000, now + 1, new Map([['product-detail', 0.05], ['product-list', 0.01]]));
  await store.close();
  expect(report.ok).toBe(false);

  const out = path.join(REPO_ROOT, 'artifacts');
  fs.mkdirSync(out, { recursive: true });
  const html = path.join(out, 'report.html');
  fs.writeFileSync(html, renderHtml(report));

  const dom = chromium(['--dump-dom', `file://${html}`]);
  expect(dom).toContain('Strangler diff report');
  expect((dom.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(5);
  expect((dom.match(/<rect class="bar"/g) ?? []).length).toBeGreaterThanOrEqual(2 + 2 * 6);
  expect(dom).toContain('<polyline');

  const screenshot = path.join(out, 'report-screenshot.png');
  fs.rmSync(screenshot, { force: true });
  chromium([`--screenshot=${screenshot}`, '--window-size=1280,1400', `file://${html}`]);
  const png = PNG.sync.read(fs.readFileSync(screenshot));
  const count = (r: number, g: number, b: number): number => {
    let n = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      if (Math.abs(png.data[i] - r) < 8 && Math.abs(png.data[i + 1] - g) < 8 && Math.abs(png.data[i + 2] - b) < 8) n++;
    }
    return n;
  };
  expect(count(0xd9, 0x53, 0x4f)).toBeGreaterThan(200); // the over-budget route's red bar
  expect(count(0x5c, 0xb8, 0x5c)).toBeGreaterThan(200); // the within-budget route's "ok" badge
  expect(count(0x99, 0x99, 0x99)).toBeGreaterThan(200); // legacy latency bars
  expect(count(0x33, 0x7a, 0xb7)).toBeGreaterThan(200); // trend lines and extracted latency bars
});
