import http from 'node:http';
import net from 'node:net';
import { errorBody, STRANGLER_ERRORS, type StranglerErrorCode } from '../errors';
import { DASHBOARD_HEADERS, DASHBOARD_HTML } from './dashboard-page';

export interface AdminRoutes {
  /** Sync in one process; a cluster's primary asks its workers first. */
  status(): Record<string, unknown> | Promise<Record<string, unknown>>;
  stats(): Record<string, unknown> | Promise<Record<string, unknown>>;
  metrics(): Promise<{ contentType: string; body: string }>;
  ready(): boolean;
  reload(): Promise<{ status: number; body: Record<string, unknown> }>;
}

/** What `GET /` lists, so a newcomer who opens the admin port sees where to go. */
export const ADMIN_ENDPOINTS: readonly { readonly method: string; readonly path: string; readonly what: string }[] = Object.freeze([
  { method: 'GET', path: '/status', what: 'active rules, last reload, each route\'s percent, its source and the observed split (JSON)' },
  { method: 'GET', path: '/stats', what: 'per route, the last minute and the last 15 minutes per backend: requests/s, failure rate, p50/p95, shadow comparisons, breaker, rollout step (JSON)' },
  { method: 'GET', path: '/dashboard', what: 'live dashboard of /stats in the browser (open http://127.0.0.1:<admin port>/dashboard)' },
  { method: 'GET', path: '/metrics', what: 'Prometheus metrics' },
  { method: 'GET', path: '/healthz', what: 'the process is up' },
  { method: 'GET', path: '/readyz', what: 'ready to serve shoppers (503 while starting or stopping)' },
  { method: 'POST', path: '/reload', what: 're-read the rules file (needs the header x-strangler-admin: 1)' },
]);

/**
 * The admin server (127.0.0.1 only by default). It answers only requests addressed to its own
 * host and port (no DNS rebinding), and POST /reload needs `x-strangler-admin: 1`, a header a
 * cross-site form cannot send.
 */
export function createAdminServer(routes: AdminRoutes, allowedHosts: () => ReadonlySet<string>): http.Server {
  const server = http.createServer({ headersTimeout: 5000, requestTimeout: 10000 }, (req, res) => {
    const send = (status: number, body: string, type = 'application/json; charset=utf-8', extra: Readonly<Record<string, string>> = {}): void => {
      // Once the server is closing, every answer closes its connection: a dashboard polling every
      // second on a keep-alive connection would otherwise hold the proxy's stop until the 10 s cut.
      const closing = server.listening ? {} : { connection: 'close' };
      res.writeHead(status, { ...extra, ...closing, 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(body);
    };
    const refuse = (code: StranglerErrorCode): void => send(STRANGLER_ERRORS[code].status, errorBody(code, ''));
    if (!allowedHosts().has((req.headers.host ?? '').toLowerCase())) { refuse('STRANGLER_ERR_ADMIN_HOST'); return; }
    const path = (req.url ?? '/').split('?')[0];
    const route = `${req.method} ${path}`;
    Promise.resolve().then(async () => {
      switch (route) {
        case 'GET /': return send(200, JSON.stringify({ name: 'strangler admin', endpoints: ADMIN_ENDPOINTS }, null, 2));
        case 'GET /status': return send(200, JSON.stringify(await routes.status(), null, 2));
        // Compact: the dashboard reads it every second.
        case 'GET /stats': return send(200, JSON.stringify(await routes.stats()));
        case 'GET /dashboard': return send(200, DASHBOARD_HTML, 'text/html; charset=utf-8', DASHBOARD_HEADERS);
        case 'GET /metrics': { const m = await routes.metrics(); return send(200, m.body, m.contentType); }
        case 'GET /healthz': return send(200, '{"ok":true}');
        case 'GET /readyz': return routes.ready() ? send(200, '{"ready":true}') : send(503, '{"ready":false}');
        case 'POST /reload': {
          if (req.headers['x-strangler-admin'] !== '1') return refuse('STRANGLER_ERR_ADMIN_HEADER');
          const result = await routes.reload();
          return send(result.status, JSON.stringify(result.body, null, 2));
        }
        default: return refuse('STRANGLER_ERR_ADMIN_NOT_FOUND');
      }
    }).catch((error: Error) => send(500, JSON.stringify({ error: { code: 'STRANGLER_ERR_ADMIN_FAILED', message: error.message } })));
    req.resume();
  });
  return server;
}

/**
 * Host header values that address this admin server: its own address, the loopback names, and
 * the `extra` names or addresses it was told about (ADMIN_ALLOWED_HOSTS). An extra entry without
 * a port gets the admin port; a bare IPv6 address gets its brackets, as a Host header writes it.
 */
export function adminHosts(host: string, port: number, extra: readonly string[] = []): ReadonlySet<string> {
  const names = new Set([host, '127.0.0.1', 'localhost', '[::1]']);
  const hosts = new Set([...names].map((name) => `${name}:${port}`.toLowerCase()));
  for (const entry of extra) hosts.add(hostWithPort(entry, port).toLowerCase());
  return hosts;
}

function hostWithPort(entry: string, port: number): string {
  if (net.isIPv6(entry)) return `[${entry}]:${port}`;
  if (entry.startsWith('[')) return entry.includes(']:') ? entry : `${entry}:${port}`;
  return entry.includes(':') ? entry : `${entry}:${port}`;
}
