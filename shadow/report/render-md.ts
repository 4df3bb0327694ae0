import type { DiffReport } from './model';
import { CONVERSION_HEADERS, CONVERSION_NOTE, conversionCells } from './conversion-text';
import { noiseLearningLine } from './noise-learning';
import { rolloutCells } from './rollout-text';

const pct = (rate: number | null): string => (rate === null ? 'n/a' : `${(rate * 100).toFixed(2)}%`);
const ms = (v: number | null): string => (v === null ? '–' : `${v}`);
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Markdown fit for a CI job summary. */
export function renderMarkdown(report: DiffReport): string {
  const lines = [
    `# Strangler diff report ${report.ok ? '✅ within budget' : '❌ over budget'}`,
    '',
    `${report.since} → ${report.until}`,
    '',
    '| route | sampled | compared | matched | truncated | dropped | errors | mismatches | rate | budget | | legacy p50/p95/p99 ms | extracted p50/p95/p99 ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|',
    ...report.routes.map((r) => `| ${r.route} | ${r.sampled} | ${r.compared} | ${r.matched} | ${r.truncated} | ${r.dropped} | ${r.errors} | ${r.mismatches} | ${pct(r.mismatchRate)} | ${pct(r.budget)} | ${r.overBudget ? '❌ over' : '✅'} | ${ms(r.latency.legacy.p50)} / ${ms(r.latency.legacy.p95)} / ${ms(r.latency.legacy.p99)} | ${ms(r.latency.extracted.p50)} / ${ms(r.latency.extracted.p95)} / ${ms(r.latency.extracted.p99)} |`),
  ];
  if (report.routes.length === 0) lines.push('', 'No shadow comparisons in this period.');
  const ramped = report.routes.filter((r) => r.rollout !== null);
  if (ramped.length > 0) {
    lines.push('', '## Rollout', '', 'At 100 % the comparisons are reverse shadow (legacy asked while extracted serves); legacy can be retired once the route has been at 100 % for its retire_after within budget.', '',
      '| route | percent | step | last verdict | at 100 % since | comparisons since | mismatch rate since | retire legacy |', '|---|---:|---|---|---|---:|---:|---|');
    for (const r of ramped) {
      const c = rolloutCells(r.rollout!);
      lines.push(`| ${r.route} | ${c.percent} | ${c.step} | ${cell(c.verdict)} | ${c.atFullSince} | ${c.comparisons} | ${c.mismatchRate} | ${r.rollout!.ready ? '✅ ready' : c.retire} |`);
    }
  }
  const guarded = report.routes.filter((r) => r.conversion !== null);
  if (guarded.length > 0) {
    const mark = { pass: '✅ ', hold: '⏳ ', rollback: '❌ ', 'not-judged': '' } as const;
    lines.push('', '## Conversion guard', '', CONVERSION_NOTE, '', `| ${CONVERSION_HEADERS.join(' | ')} |`, '|---|---|---:|---:|---:|---|---:|---|');
    for (const r of guarded) {
      const { cells, verdict } = conversionCells(r.route, r.conversion!);
      cells[cells.length - 1] = `${mark[verdict]}${cells[cells.length - 1]}`;
      lines.push(`| ${cells.map(cell).join(' | ')} |`);
    }
  }
  if (report.replicas.length > 0) {
    lines.push('', '## Replicas', '', 'Diff rows in this period by the proxy process that wrote them (STRANGLER_REPLICA).', '', '| replica | rows | compared |', '|---|---:|---:|');
    for (const r of report.replicas) lines.push(`| ${r.replica === '' ? '(unnamed: written before replicas were recorded)' : `\`${cell(r.replica)}\``} | ${r.rows} | ${r.compared} |`);
  }
  for (const r of report.routes.filter((route) => route.topPaths.length > 0)) {
    lines.push('', `## ${r.route}: top differing fields`, '', '| field | count | example request | trace id |', '|---|---:|---|---|');
    for (const p of r.topPaths) lines.push(`| \`${cell(p.path)}\` | ${p.count} | ${p.example ? `\`${cell(p.example.target)}\`` : ''} | ${p.example?.traceId ? `\`${cell(p.example.traceId)}\`` : ''} |`);
    const first = r.topPaths[0].example;
    if (first && first.legacy !== null) {
      lines.push('', `<details><summary>Example for <code>${cell(r.topPaths[0].path)}</code> (redacted)</summary>`, '', `legacy (${first.legacyStatus}):`, '```', first.legacy ?? '', '```', `extracted (${first.extractedStatus}):`, '```', first.extracted ?? '', '```', '</details>');
    }
  }
  for (const r of report.routes.filter((route) => route.noiseFields.length > 0)) {
    lines.push('', `## ${r.route}: noise over ${r.noiseRequests} reads (legacy asked twice)`, '', '| field | legacy ≠ legacy | legacy ≠ extracted | relative | absolute | |', '|---|---:|---:|---:|---:|---|');
    for (const f of r.noiseFields) {
      lines.push(`| \`${cell(f.field)}\` | ${pct(f.legacyRate)} (${f.legacyDiffers}) | ${pct(f.extractedRate)} (${f.extractedDiffers}) | ${f.relativePercent.toFixed(1)}% | ${f.absolutePercent.toFixed(2)} pts | ${f.noise ? 'noise' : 'real'} |`);
    }
  }
  for (const r of report.routes.filter((route) => route.noiseProbe && route.noiseProbe.readsCompared > 0)) lines.push('', `${r.route}: ${noiseLearningLine(r.noiseProbe!, (f) => `\`${cell(f)}\``)}`);
  if (report.routes.some((r) => r.noiseFields.length > 0)) {
    const t = report.noiseThresholds;
    lines.push('', `A field is real when legacy ≠ extracted more often than legacy ≠ legacy, by more than ${t.relativePercent}% relative and ${t.absolutePercent} points absolute; otherwise noise, and its differences are no mismatch.`);
  }
  return `${lines.join('\n')}\n`;
}
