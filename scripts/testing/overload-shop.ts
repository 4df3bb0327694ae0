import { startPooledUpstream, type PooledUpstream } from './pooled-upstream';
import { startTestProxy, startUpstream, type TestProxy, type TestUpstream } from './upstreams';

/**
 * The peak-traffic tests' set-up: legacy is a pooled upstream (4 requests at a time, 25 ms each,
 * about 160 answers/s), svc a plain one, and a proxy with a 200 ms line in front of them.
 * `browse` is a normal route, `checkout` a critical one, `search` is rate-limited by API key, and
 * `reports` (when asked for) opts out of admission control.
 */
export interface OverloadShop {
  readonly legacy: PooledUpstream;
  readonly svc: TestUpstream;
  readonly proxy: TestProxy;
  /** Stops the proxy, then the upstreams; resolves to the proxy's exit code. */
  close(): Promise<number | null>;
}

export function overloadRules(legacyUrl: string, svcUrl: string, withReports: boolean): string {
  const reports = `  - name: reports
    match: { methods: [GET], path: /reports }
    extracted: svc
    overload: false
`;
  return `version: 1
upstreams: { legacy: "${legacyUrl}", svc: "${svcUrl}" }
defaults:
  overload: { max_queue: 200ms }
routes:
  - name: browse
    match: { methods: [GET], path: /browse/:id }
    extracted: svc
  - name: checkout
    match: { methods: [POST], path: /checkout }
    extracted: svc
    priority: critical
  - name: search
    match: { methods: [GET], path: /search }
    extracted: svc
    rate_limit: { by: header:x-api-key, rate: 5/m, burst: 5 }
${withReports ? reports : ''}`;
}

export async function startOverloadShop(options: { withReports: boolean; env?: Record<string, string> }): Promise<OverloadShop> {
  const legacy = await startPooledUpstream(4, 25);
  const svc = await startUpstream('svc');
  const proxy = await startTestProxy(overloadRules(legacy.url, svc.url, options.withReports), options.env);
  return {
    legacy, svc, proxy,
    close: async () => {
      const code = await proxy.stop();
      await Promise.all([legacy.close(), svc.close()]);
      return code;
    },
  };
}
