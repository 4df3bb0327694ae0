import { dashboard } from './dashboard';
import { labelUses, metricNames } from './promql';

const panels = dashboard.panels.filter((p) => p.type !== 'row');
const exprsOf = (pattern: RegExp): string[] => panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).filter((e) => pattern.test(e));

describe('deploy/grafana/strangler.json', () => {
  test('an importable dashboard: schemaVersion about 39, one ${DS_PROMETHEUS} datasource input used by every panel, query and variable', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.schemaVersion).toBeLessThanOrEqual(41);
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })]);
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    for (const panel of panels) {
      expect({ panel: panel.title, uid: panel.datasource?.uid }).toEqual({ panel: panel.title, uid: '${DS_PROMETHEUS}' });
      expect((panel.targets ?? []).length).toBeGreaterThan(0);
      for (const t of panel.targets!) expect({ panel: panel.title, uid: t.datasource.uid, expr: t.expr.length > 0 }).toEqual({ panel: panel.title, uid: '${DS_PROMETHEUS}', expr: true });
    }
    for (const v of dashboard.templating.list) expect(v.datasource?.uid).toBe('${DS_PROMETHEUS}');
  });

  test('panels have unique ids and do not overlap on the 24-column grid', () => {
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect({ panel: p.title, cell: `${x},${y}`, free: !cells.has(`${x},${y}`) }).toEqual({ panel: p.title, cell: `${x},${y}`, free: true });
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  test('shows the split, failure rate and p95 by backend per route, fallbacks, breaker state, shadow outcomes and mismatch rate, reloads', () => {
    const byRouteAndBackend = (e: string): boolean => labelUses(e).grouping.includes('route') && labelUses(e).grouping.includes('backend');
    expect(exprsOf(/rate\(strangler_requests_total\{[^}]*\}\[/).filter((e) => byRouteAndBackend(e) && !e.includes('code=~"5..')).length).toBeGreaterThan(0); // the split
    expect(exprsOf(/code=~"5\.\."/).filter(byRouteAndBackend).length).toBeGreaterThan(0); // failure rate
    const p95 = exprsOf(/histogram_quantile\(0\.95,/);
    expect(p95.filter((e) => metricNames(e).includes('strangler_request_duration_seconds_bucket') && byRouteAndBackend(e) && labelUses(e).grouping.includes('le')).length).toBeGreaterThan(0);
    for (const metric of ['strangler_fallbacks_total', 'strangler_breaker_state', 'strangler_shadow_requests_total', 'strangler_mismatches_total', 'strangler_config_reloads_total', 'strangler_rules_epoch']) {
      expect({ metric, shown: exprsOf(/./).some((e) => metricNames(e).includes(metric)) }).toEqual({ metric, shown: true });
    }
    expect(exprsOf(/strangler_mismatches_total/).some((e) => e.includes('/') && e.includes('outcome=~"match|mismatch"'))).toBe(true);
  });

  test('shows overload: shed/s by route and reason, each upstream\'s limit, in flight and queued, and the queue wait p95', () => {
    expect(exprsOf(/rate\(strangler_shed_total/).filter((e) => labelUses(e).grouping.includes('route') && labelUses(e).grouping.includes('reason')).length).toBeGreaterThan(0);
    for (const metric of ['strangler_upstream_concurrency_limit', 'strangler_upstream_in_flight', 'strangler_upstream_queued']) {
      expect({ metric, byUpstream: exprsOf(/./).some((e) => metricNames(e).includes(metric) && labelUses(e).grouping.includes('upstream')) }).toEqual({ metric, byUpstream: true });
    }
    expect(exprsOf(/histogram_quantile\(0\.95,/).some((e) => metricNames(e).includes('strangler_queue_wait_seconds_bucket') && labelUses(e).grouping.includes('le'))).toBe(true);
  });

  test('the route variable selects every per-route query', () => {
    expect(dashboard.templating.list.map((v) => v.name)).toContain('route');
    for (const e of exprsOf(/./).filter((x) => labelUses(x).grouping.includes('route'))) expect({ e, selected: e.includes('route=~"$route"') }).toEqual({ e, selected: true });
  });
});
