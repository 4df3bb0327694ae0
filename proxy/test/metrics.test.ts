import client from 'prom-client';
import { LocalHistogram } from '../observability/local-histogram';
import { ProxyMetrics } from '../observability/metrics';

const BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// Bounds themselves (le is inclusive), just above them, zero, and past the last bound.
const SAMPLES = [0, 0.001, 0.0011, 0.0025, 0.003, 0.0049, 0.005, 0.2, 0.25, 0.9, 1, 7, 10, 10.5, 42];

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '').sort();
}

test('the local histogram is exposed exactly as prom-client exposes its own histogram for the same observations', async () => {
  const ours = new client.Registry();
  const local = new LocalHistogram('req_seconds', 'Request time', BOUNDS);
  local.registerIn(ours);
  const theirs = new client.Registry();
  const reference = new client.Histogram({ name: 'req_seconds', help: 'Request time', labelNames: ['route', 'backend'], buckets: BOUNDS, registers: [theirs] });

  SAMPLES.forEach((value, i) => {
    const route = i % 3 === 0 ? 'cart' : 'product-detail';
    const backend = i % 2 === 0 ? 'legacy' : 'extracted';
    local.cell(`${route}/${backend}`, { route, backend }).observe(value);
    reference.labels(route, backend).observe(value);
  });

  expect(lines(await ours.metrics())).toEqual(lines(await theirs.metrics()));
  expect(await ours.getMetricsAsJSON()).toHaveLength(1);
});

test('a cell keeps counting after a scrape, and after a reset counts from zero', async () => {
  const registry = new client.Registry();
  const local = new LocalHistogram('req_seconds', 'Request time', BOUNDS);
  local.registerIn(registry);
  const cell = local.cell('r', { route: 'r' });
  cell.observe(0.002);
  expect(await registry.metrics()).toContain('req_seconds_count{route="r"} 1');
  cell.observe(3);
  const text = await registry.metrics();
  expect(text).toContain('req_seconds_count{route="r"} 2');
  expect(text).toContain('req_seconds_bucket{le="2.5",route="r"} 1');
  expect(text).toContain('req_seconds_bucket{le="5",route="r"} 2');
  registry.resetMetrics();
  expect(await registry.metrics()).toContain('req_seconds_count{route="r"} 0');
  cell.observe(0.5);
  expect(await registry.metrics()).toContain('req_seconds_bucket{le="0.5",route="r"} 1');
});

test('requests and durations observed per route reach /metrics with route, backend and status code', async () => {
  const metrics = new ProxyMetrics(false);
  const cart = metrics.route('cart');
  cart.observe('extracted', 200, 0.004);
  cart.observe('extracted', 200, 0.02);
  cart.observe('legacy-fallback', 502, 0.3);
  metrics.route('(unmatched)').observe('legacy', 404, 0.001);
  const text = await metrics.registry.metrics();
  expect(text).toContain('strangler_requests_total{route="cart",backend="extracted",code="200"} 2');
  expect(text).toContain('strangler_requests_total{route="cart",backend="legacy-fallback",code="502"} 1');
  expect(text).toContain('strangler_requests_total{route="(unmatched)",backend="legacy",code="404"} 1');
  expect(text).toContain('strangler_request_duration_seconds_bucket{le="0.005",route="cart",backend="extracted"} 1');
  expect(text).toContain('strangler_request_duration_seconds_count{route="cart",backend="extracted"} 2');
  expect(text).toMatch(/# TYPE strangler_request_duration_seconds histogram/);
  expect(metrics.routeStats('cart')?.served).toEqual({ legacy: 0, extracted: 2, 'legacy-fallback': 1 });
  // A second scrape reports the same totals, not twice them.
  cart.observe('extracted', 200, 0.004);
  expect(await metrics.registry.metrics()).toContain('strangler_requests_total{route="cart",backend="extracted",code="200"} 3');
});
