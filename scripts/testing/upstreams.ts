import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { parseJson, portOf, startProcess, tempDir, type RunningProcess } from './processes';

export interface SeenRequest { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }

export interface TestUpstream {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly seen: SeenRequest[];
  /** Replace how it answers (default: 200 JSON naming itself and echoing the path). */
  handle(handler: ((req: http.IncomingMessage, res: http.ServerResponse, body: string) => void) | null): void;
  close(): Promise<void>;
}

/** A small real upstream on an ephemeral port that records what reaches it. */
export async function startUpstream(name: string): Promise<TestUpstream> {
  const seen: SeenRequest[] = [];
  let custom: ((req: http.IncomingMessage, res: http.ServerResponse, body: string) => void) | null = null;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (custom) { custom(req, res, body); return; }
      const payload = JSON.stringify({ servedBy: name, url: req.url, method: req.method, body });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'x-upstream': name });
      res.end(payload);
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    name, port, url: `http://127.0.0.1:${port}`, seen,
    handle: (handler) => { custom = handler; },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A port with nothing listening on it (connections are refused). */
/** Makes each upstream answer as a small shop does: a GET a product (200), a POST an order (201). */
export function answerAsShop(...upstreams: TestUpstream[]): void {
  for (const upstream of upstreams) {
    upstream.handle((req, res) => {
      const body = req.method === 'POST' ? '{"order":1}' : '{"id":1,"name":"Mug"}';
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  }
}

export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface TestProxy {
  readonly process: RunningProcess;
  /** The diff store this proxy writes (in its temp dir unless the test chose one). */
  readonly diffDb: string;
  readonly port: number;
  readonly adminPort: number;
  readonly rulesFile: string;
  /** Access-log lines parsed as JSON. */
  accessLines(): Array<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

/** Writes a rules file to a temp dir and starts the real proxy process on ephemeral ports. */
export async function startTestProxy(rulesYaml: string, env: Record<string, string> = {}): Promise<TestProxy> {
  const dir = tempDir('rules');
  const rulesFile = path.join(dir, 'routing-rules.yaml');
  fs.writeFileSync(rulesFile, rulesYaml);
  return startTestProxyOn(rulesFile, env, dir);
}

/**
 * Starts the real proxy process on ephemeral ports reading a rules file the test laid out itself
 * (a symlink into a ConfigMap-like directory, say); its diff store goes to `dataDir`.
 */
export async function startTestProxyOn(rulesFile: string, env: Record<string, string> = {}, dataDir = tempDir('proxy-data')): Promise<TestProxy> {
  const dir = dataDir;
  const running = await startProcess('proxy/main.js', {
    PROXY_PORT: '0', ADMIN_PORT: '0', PROXY_HOST: '127.0.0.1', STRANGLER_RULES: rulesFile, STRANGLER_DIFF_DB: path.join(dir, 'diffs.sqlite'), ...env,
  }, 'strangler proxy listening');
  return {
    process: running,
    diffDb: env.STRANGLER_DIFF_DB ?? path.join(dir, 'diffs.sqlite'),
    port: portOf(running.ready.proxy),
    adminPort: portOf(running.ready.admin),
    rulesFile,
    accessLines: () => running.lines.map(parseJson).filter((l): l is Record<string, unknown> => l !== null && l.msg === 'request'),
    stop: () => running.stop(),
  };
}

/** A rules file with one route `r` on `path` to `extracted`, plus any extra route keys. */
export function oneRouteRules(legacy: string, extracted: string, route: string): string {
  return `version: 1
upstreams:
  legacy: ${legacy}
  svc: ${extracted}
routes:
  - name: r
    extracted: svc
${route.split('\n').map((l) => (l ? `    ${l}` : l)).join('\n')}
`;
}
