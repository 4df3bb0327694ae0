import type { Logger } from '../observability/logger';
import type { TracingConfig } from './otel-env';
import type { ProxyTracer } from './types';

/**
 * The SDK is imported here, only when an endpoint is set: a proxy without tracing never loads
 * @opentelemetry (pinned by test/e2e/lazy-modules.e2e.test.ts).
 */
export async function startTracing(config: TracingConfig | null, log: Logger): Promise<ProxyTracer | null> {
  if (config === null) return null;
  const { createSdkTracer } = await import('./sdk-tracer');
  log.info({ endpoint: config.tracesUrl, protocol: config.protocol, sampler: config.sampler }, 'exporting traces over OTLP/HTTP');
  return createSdkTracer(config, (failing, error) => {
    if (failing) log.warn({ endpoint: config.tracesUrl, error }, 'trace export failed; spans are dropped (and counted) until the collector answers');
    else log.info({ endpoint: config.tracesUrl }, 'trace export works again');
  });
}
