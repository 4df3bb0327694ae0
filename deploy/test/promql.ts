/**
 * Enough PromQL and Prometheus text exposition to ask: does every query name a metric, and
 * labels, that the proxy really exports?
 */

/** Words of PromQL that are not metric names, where they are not followed by `(`. */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan', 'atan2']);

/** Strings, matcher contents, ranges, label lists and Grafana variables out of the way. */
function skeleton(expr: string): string {
  return expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '$1()')
    .replace(/\$\{[^}]*\}|\$\w+/g, '');
}

/** The metric names a PromQL expression selects (an identifier not followed by `(`, not a keyword, not part of a number). */
export function metricNames(expr: string): string[] {
  const s = skeleton(expr);
  const names = new Set<string>();
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const before = s[m.index - 1] ?? ' ';
    if (/[0-9.]/.test(before)) continue; // 1e3, 5m
    if (/^\s*(?:\(|(?:by|without)\s*\()/.test(s.slice(m.index + m[0].length))) continue; // a function, or an aggregation (`sum by (…) (`)
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** Label names an expression uses: in each selector's matchers (by metric), and in by/without/on/ignoring lists. */
export function labelUses(expr: string): { matchers: Array<{ metric: string; label: string }>; grouping: string[] } {
  const noStrings = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  const matchers: Array<{ metric: string; label: string }> = [];
  for (const m of noStrings.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}/g)) {
    for (const l of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)) matchers.push({ metric: m[1], label: l[1] });
  }
  const grouping: string[] = [];
  for (const m of noStrings.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)) {
    for (const label of m[1].split(',').map((l) => l.trim()).filter((l) => l !== '')) grouping.push(label);
  }
  return { matchers, grouping };
}

/** Metric names in a scrape, with the label names each has on its series; histograms also as _bucket/_sum/_count. */
export function exportedMetrics(exposition: string): Map<string, Set<string>> {
  const metrics = new Map<string, Set<string>>();
  const add = (name: string, labels: Iterable<string> = []): void => {
    const set = metrics.get(name) ?? new Set<string>();
    for (const l of labels) set.add(l);
    metrics.set(name, set);
  };
  for (const line of exposition.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type !== null) {
      add(type[1]);
      if (type[2] === 'histogram' || type[2] === 'summary') for (const suffix of ['_bucket', '_sum', '_count']) add(`${type[1]}${suffix}`);
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s/.exec(line);
    if (sample !== null) add(sample[1], [...(sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)].map((l) => l[1]));
  }
  return metrics;
}

/** Names with at least one sample line (not just HELP/TYPE): the series a panel would draw. */
export function metricsWithSamples(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{.*\})?\s/.exec(line);
    if (sample !== null && !line.startsWith('#')) names.add(sample[1]);
  }
  return names;
}

/** Labels Prometheus itself puts on every scraped series, and its own `up` metric. */
export const TARGET_LABELS = new Set(['job', 'instance']);
export const PROMETHEUS_OWN = new Set(['up']);
