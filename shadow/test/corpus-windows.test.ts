/**
 * The corpus's window cases (corpus/windows/*.yaml, described in corpus/README.md): a route's
 * reads with a field that flaps on both sides, run through the noise probe and the comparison as
 * the shadow worker runs them, then judged over the window as the report and the rollout gate do.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { judgeWindow } from '../compare/window-verdict';
import { simulateWindow } from './window-simulation';

interface WindowCase {
  name: string;
  reads: number;
  seed: number;
  body: Record<string, unknown>;
  flap: { field: string; value: unknown; rate: number };
  wrong?: { field: string; value: unknown; every: number; from: number };
  expect: { mismatched: number; mismatchPaths: string[]; noise: string[] };
}

const DIR = path.join(__dirname, 'corpus', 'windows');
const cases = fs.readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort()
  .flatMap((file) => (parse(fs.readFileSync(path.join(DIR, file), 'utf8')) as WindowCase[]).map((c) => ({ file, ...c })));

test('the window corpus has cases', () => {
  expect(cases.length).toBeGreaterThanOrEqual(3);
});

test.each(cases.map((c) => [`${c.file}: ${c.name}`, c] as const))('%s', (_name, c) => {
  const wrong = c.wrong === undefined ? undefined : { field: c.wrong.field, value: c.wrong.value, on: (i: number) => i >= c.wrong!.from && (i - c.wrong!.from) % c.wrong!.every === 0 };
  const { rows } = simulateWindow({ reads: c.reads, body: c.body, flap: c.flap, wrong }, c.seed);
  // The probe was sparse: most reads had no second legacy answer.
  expect(rows.filter((r) => r.probed).length).toBeLessThan(c.reads / 2);
  const verdict = judgeWindow(rows);
  expect({
    mismatched: verdict.mismatched,
    mismatchPaths: verdict.mismatchPaths.map((p) => p.path),
    noise: verdict.noiseFields.filter((f) => f.noise).map((f) => f.field),
  }).toEqual(c.expect);
});
