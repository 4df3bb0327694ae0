/**
 * Tracing's settings, read from the standard OpenTelemetry variables only (DESIGN "Tracing:
 * OpenTelemetry"). No OTLP endpoint: tracing is off, and the SDK is never loaded.
 */
export interface TracingConfig {
  /** Where spans are sent: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces. */
  readonly tracesUrl: string;
  readonly protocol: 'http/protobuf' | 'http/json';
  /** OTEL_TRACES_SAMPLER[:OTEL_TRACES_SAMPLER_ARG] as /status shows it (the SDK reads the variables itself). */
  readonly sampler: string;
}

const PROTOCOLS = ['http/protobuf', 'http/json'] as const;

/** Null when tracing is off; throws on a protocol this build cannot speak (grpc). */
export function tracingConfigFromEnv(env: NodeJS.ProcessEnv = process.env): TracingConfig | null {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return null;
  const traces = (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? '').trim();
  const base = (env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '').trim();
  if (traces === '' && base === '') return null;
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim();
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported: use http/protobuf (the default) or http/json`);
  }
  const sampler = (env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on').trim();
  const arg = (env.OTEL_TRACES_SAMPLER_ARG ?? '').trim();
  return {
    tracesUrl: traces !== '' ? traces : `${base.replace(/\/+$/, '')}/v1/traces`,
    protocol: protocol as TracingConfig['protocol'],
    sampler: arg !== '' && sampler.includes('traceidratio') ? `${sampler}:${arg}` : sampler,
  };
}
