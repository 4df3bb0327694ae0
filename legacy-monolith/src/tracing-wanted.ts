/**
 * Whether the standard variables ask for traces (the same test as the proxy's tracing/otel-env.ts).
 * Kept apart from tracing.ts so that asking loads no OpenTelemetry module.
 */
export function shopTracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  return (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '').trim() !== '';
}

