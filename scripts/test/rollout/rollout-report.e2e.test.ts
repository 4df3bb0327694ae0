/**
 * The nightly report shows each rollout route's step and last verdict, and at 100 % whether legacy
 * can be retired: on a real store, through `strangler rollout` and `strangler report` (dist).
 */
import fs from 'node:fs';
import path from 'node:path';
import { diff, seedStore } from '../../testing/evidence-seed';
import { REPO_ROOT, runCli, tempDir } from '../../testing/processes';
import { openEvidenceStore } from '../../../shadow/store/open-evidence';
import type { DiffReport } from '../../../shadow/report/model';

const DAY = 24 * 3600_000;
const SHIPPED = fs.readFileSync(path.join(REPO_ROOT, 'routing-rules.yaml'), 'utf8');

test('a route at 100 % for longer than retire_after within budget is ready; one without a plan has rollout: null', async () => {
  const dir = tempDir('rollout-report');
  const file = path.join(dir, 'routing-rules.yaml');
  const db = path.join(dir, 'diffs.sqlite');
  fs.writeFileSync(file, SHIPPED.replace('    percent: 25                 # 0..100', '    percent: 100                # 0..100'));
  const now = Date.now();
  // Reverse shadow at 100 %: extracted serves, legacy is asked; 1 mismatch in 501 comparisons (0.2 %, budget 1 %).
  await seedStore(db, {
    diffs: [...Array.from({ length: 500 }, (_v, i) => diff(now - 3600_000 + i, 'product-detail', 'match', 'extracted')), diff(now - 60_000, 'product-detail', 'mismatch', 'extracted'), diff(now - 60_000, 'categories', 'match')],
  });
  const store = await openEvidenceStore(db);
  await store.recordPercentEvent({ at: now - 31 * DAY, route: 'product-detail', fromPercent: 50, toPercent: 100, action: 'rollout', who: 'strangler rollout --once', file });
  await store.close();

  const judged = await runCli(['rollout', '--file', file, '--db', db]);
  expect(judged.code).toBe(0);
  expect(judged.stdout).toContain('product-detail: COMPLETE at 100% (step 4 of 4): legacy can be retired: 31d at 100% (retire_after 30d), 0.20% mismatches in 501 comparisons since reaching 100%');

  const out = path.join(dir, 'report');
  const report = await runCli(['report', '--db', db, '--rules', file, '--out', out]);
  expect(report.code).toBe(0);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as DiffReport;
  const detail = json.routes.find((r) => r.route === 'product-detail')!;
  expect(detail.rollout).toEqual({
    step: 4, steps: [5, 25, 50, 100], percent: 100,
    lastVerdict: { verdict: 'complete', at: expect.any(String), summary: expect.stringMatching(/^legacy can be retired: 31d at 100%/) },
    atFullSince: new Date(now - 31 * DAY).toISOString(), comparisonsSinceFull: 501, mismatchRateSinceFull: 1 / 501, ready: true,
  });
  expect(json.routes.find((r) => r.route === 'categories')!.rollout).toBeNull();
  expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toMatch(/\| product-detail \| 100% \| 4 of 4 \| complete \(\S+\): legacy can be retired: .* \| 501 \| 0\.20% \| ✅ ready \|/);
  expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('<td>501</td><td>0.20%</td><td><span class="badge good">ready</span></td>');
});
