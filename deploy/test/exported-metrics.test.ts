import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { request } from '../../scripts/testing/http-client';
import { flood } from '../../scripts/testing/flood';
import { startPooledUpstream, type PooledUpstream } from '../../scripts/testing/pooled-upstream';
import { REPO_ROOT } from '../../scripts/testing/processes';
import { startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../scripts/testing/upstreams';
import { until } from '../../scripts/testing/wait';
import { dashboardQueries } from './dashboard';
import { exportedMetrics, labelUses, metricNames, metricsWithSamples, PROMETHEUS_OWN, TARGET_LABELS } from './promql';

/**
 * The dashboard and the alerts against what a real proxy exports after real traffic: a split
 * route with shadow comparisons that disagree, a route whose extracted side answers 503 (fallbacks,
 * a breaker that opens), one that answers 500, a request the proxy refuses, a flood on a route
 * whose upstream serves 4 at a time (requests wait for a slot, some are shed) and a key past its
 * rate limit.
 */
let legacy: TestUpstream;
let svc: TestUpstream;
let busy: PooledUpstream;
let proxy: TestProxy;
let exposition = '';

const RULES = (legacyUrl: string, svcUrl: string, busyUrl: string): string => `version: 1
upstreams:
  legacy: ${legacyUrl}
  svc: ${svcUrl}
  busy: ${busyUrl}
defaults:
  sticky_by: [header:x-user-id, cookie:strangler_id]
  breaker: { failure_rate: 0.5, min_requests: 4, window: 10s, open_for: 30s, probes: 1 }
routes:
  - name: split
    match: { path: /api/split }
    extracted: svc
    percent: 50
    shadow: { percent: 100 }
  - name: flaky
    match: { path: /api/flaky }
    extracted: svc
    percent: 100
    fallback: legacy
    fallback_on: [503]
  - name: broken
    match: { path: /api/broken }
    extracted: svc
    percent: 100
  - name: flash-sale
    match: { path: /api/flash-sale/:id }
    extracted: busy
    percent: 100
    overload: { max_queue: 200ms }
  - name: search
    match: { path: /api/search }
    extracted: svc
    rate_limit: { by: header:x-api-key, rate: 5/m, burst: 1 }
`;

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  svc.handle((req, res) => {
    const status = req.url === '/api/flaky' ? 503 : req.url === '/api/broken' ? 500 : 200;
    const body = JSON.stringify({ servedBy: 'svc', price: 11 }); // legacy's answer has no price: a mismatch
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  busy = await startPooledUpstream(4, 25);
  proxy = await startTestProxy(RULES(legacy.url, svc.url, busy.url));
  const get = (p: string, user?: string) => request({ port: proxy.port, path: p, headers: user ? { 'x-user-id': user } : {} });
  for (let i = 0; i < 20; i++) await get('/api/split', `shopper-${i}`);
  for (let i = 0; i < 6; i++) await get('/api/flaky', `shopper-${i}`);
  for (let i = 0; i < 3; i++) await get('/api/broken', `shopper-${i}`);
  await get('/api/split'); // no identity: an anonymous id is issued
  await get('/api/../etc/passwd'); // refused by the proxy itself
  // 100 shoppers for 1.5 s against 4 at a time: requests wait for a slot, and some are shed.
  await flood({ port: proxy.port, path: (i) => `/api/flash-sale/${i}` }, 100, 1500);
  for (let i = 0; i < 2; i++) await request({ port: proxy.port, path: '/api/search', headers: { 'x-api-key': 'k' } }); // the second is rate-limited
  await until('shadow comparisons counted', async () => {
    exposition = (await request({ port: proxy.adminPort, path: '/metrics' })).body;
    return /strangler_mismatches_total\{route="split"\} [1-9]/.test(exposition);
  }, 10000);
  exposition = (await request({ port: proxy.adminPort, path: '/metrics' })).body;
}, 30000);
afterAll(async () => {
  await proxy?.stop();
  await Promise.all([legacy?.close(), svc?.close(), busy?.close()]);
});

const alertRules = (YAML.parse(fs.readFileSync(path.join(REPO_ROOT, 'deploy', 'prometheus', 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> })
  .groups.flatMap((g) => g.rules).map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }));

describe.each([
  ['deploy/grafana/strangler.json', dashboardQueries()],
  ['deploy/prometheus/alerts.yml', alertRules],
])('%s', (_file, queries) => {
  test('every query names a metric the proxy exports (up is Prometheus\'s own), and has series after this traffic', () => {
    const exported = exportedMetrics(exposition);
    const sampled = metricsWithSamples(exposition);
    const problems: string[] = [];
    for (const { where, expr } of queries) {
      const names = metricNames(expr);
      if (names.length === 0) problems.push(`${where}: no metric found in ${expr}`);
      for (const name of names) {
        if (PROMETHEUS_OWN.has(name)) continue;
        if (!exported.has(name)) problems.push(`${where}: ${name} is not exported by the proxy`);
        else if (!sampled.has(name)) problems.push(`${where}: ${name} has no series after the test's traffic`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('every label a query matches or groups by is on the series it names (job and instance are Prometheus\'s)', () => {
    const exported = exportedMetrics(exposition);
    const problems: string[] = [];
    for (const { where, expr } of queries) {
      const { matchers, grouping } = labelUses(expr);
      const names = metricNames(expr).filter((n) => !PROMETHEUS_OWN.has(n));
      for (const { metric, label } of matchers) {
        if (PROMETHEUS_OWN.has(metric) || TARGET_LABELS.has(label)) continue;
        if (!exported.get(metric)?.has(label)) problems.push(`${where}: ${metric} has no label "${label}"`);
      }
      for (const label of grouping) {
        if (TARGET_LABELS.has(label)) continue;
        for (const name of names) if (!exported.get(name)?.has(label)) problems.push(`${where}: groups by "${label}", which ${name} does not have`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('the query readers themselves', () => {
  test('metric names: functions, keywords, label lists, strings, ranges, numbers and Grafana variables are not metrics', () => {
    expect(metricNames('histogram_quantile(0.95, sum by (le, route) (rate(a_bucket{route=~"$route", code=~"5.."}[$__rate_interval])))')).toEqual(['a_bucket']);
    expect(metricNames('sum(rate(a_total[5m] offset 1h)) / on (route) group_left b > 1e3 or vector(0)')).toEqual(['a_total', 'b']);
    expect(metricNames('time() - max by (instance) (c > 0) and absent(up{job="x"})')).toEqual(['c', 'up']);
  });
  test('labels: each matcher with its metric, and every grouping label', () => {
    expect(labelUses('sum by (route, backend) (rate(a{route=~"x", code!="200"}[5m])) / ignoring (code) b{le="1"}')).toEqual({
      matchers: [{ metric: 'a', label: 'route' }, { metric: 'a', label: 'code' }, { metric: 'b', label: 'le' }], grouping: ['route', 'backend', 'code'],
    });
  });
  test('the scrape: histograms count as their _bucket, _sum and _count, each with its labels', () => {
    const m = exportedMetrics('# TYPE h histogram\nh_bucket{le="1",route="r"} 1\nh_sum{route="r"} 1\nh_count{route="r"} 1\n# TYPE g gauge\n');
    expect([...m.keys()].sort()).toEqual(['g', 'h', 'h_bucket', 'h_count', 'h_sum']);
    expect([...m.get('h_bucket')!].sort()).toEqual(['le', 'route']);
    expect([...metricsWithSamples('# TYPE g gauge\nh_sum 1\n')]).toEqual(['h_sum']);
  });
});
