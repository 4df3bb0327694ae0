/**
 * Replicas behind a load balancer, the way a team runs them: one rules file, one PostgreSQL diff
 * store, N `strangler proxy` processes (each naming itself with STRANGLER_REPLICA), and nginx
 * spreading shoppers over them round robin. Everything on 127.0.0.1, ports chosen free, all of it
 * stopped by `stop()`. Used by `npm run demo:replicas` (demo.ts) and its test.
 *
 * The upstreams are two small servers answering the same product JSON, so every shadow
 * comparison matches and the report is within budget.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { freePort, startTestPostgres, type TestPostgres } from '../testing/postgres';
import { startProcess, tempDir, type RunningProcess } from '../testing/processes';
import { startUpstream, type TestUpstream } from '../testing/upstreams';

export interface Replica {
  /** Its STRANGLER_REPLICA: how its rows are named in the store. */
  readonly name: string;
  readonly port: number;
  readonly adminPort: number;
  readonly process: RunningProcess;
}

export interface ReplicaSet {
  readonly pg: TestPostgres;
  readonly rulesFile: string;
  readonly replicas: readonly Replica[];
  /** nginx, in front of every replica. */
  readonly port: number;
  readonly legacy: TestUpstream;
  readonly extracted: TestUpstream;
  stop(): Promise<void>;
}

export const PRODUCT_ROUTE = 'product';

export function rulesYaml(legacy: string, extracted: string, percent: number): string {
  return `version: 1
upstreams:
  legacy: ${legacy}
  catalog: ${extracted}
defaults:
  sticky_by: [header:x-user-id]
routes:
  - name: ${PRODUCT_ROUTE}
    match: { methods: [GET, HEAD], path: /api/products/:id }
    extracted: catalog
    percent: ${percent}
    fallback: legacy
    shadow: { percent: 20, budget: 0.01 }
`;
}

function nginxConfig(dir: string, port: number, replicas: readonly Replica[]): string {
  const conf = path.join(dir, 'nginx.conf');
  // Round robin; a replica that refuses or resets a connection is skipped for 5 s, and a read
  // that failed before its answer started is sent to the next replica (nginx never retries a
  // non-idempotent request unless told to).
  fs.writeFileSync(conf, `worker_processes 1;
daemon off;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  upstream strangler {
${replicas.map((r) => `    server 127.0.0.1:${r.port} max_fails=1 fail_timeout=5s;`).join('\n')}
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://strangler;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_next_upstream error timeout http_502;
      proxy_connect_timeout 1s;
    }
  }
}
`);
  return conf;
}

function nginxBinary(): string {
  for (const candidate of ['/usr/sbin/nginx', '/usr/bin/nginx']) if (fs.existsSync(candidate)) return candidate;
  throw new Error('nginx is not installed: run bash scripts/postgres/test-cluster.sh install (installs nginx-light)');
}

async function waitForHttp(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => { res.resume(); resolve(true); });
      req.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing answers on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startReplicaSet(count = 3): Promise<ReplicaSet> {
  const dir = tempDir('replicas');
  const pg = await startTestPostgres();
  const legacy = await startUpstream('legacy');
  const extracted = await startUpstream('catalog');
  for (const side of [legacy, extracted]) {
    side.handle((req, res) => {
      const payload = JSON.stringify({ id: req.url?.split('/').pop()?.split('?')[0], name: 'Mug', price: 1299, currency: 'EUR' });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    });
  }
  const rulesFile = path.join(dir, 'routing-rules.yaml');
  fs.writeFileSync(rulesFile, rulesYaml(legacy.url, extracted.url, 50));
  const replicas: Replica[] = [];
  let nginx: ChildProcess | null = null;
  const stop = async (): Promise<void> => {
    nginx?.kill('SIGQUIT');
    await Promise.all(replicas.map((r) => r.process.stop()));
    await Promise.all([legacy.close(), extracted.close()]);
    pg.remove();
  };
  try {
    for (let i = 1; i <= count; i++) {
      const name = `replica-${i}`;
      const running = await startProcess('proxy/main.js', {
        PROXY_PORT: '0', ADMIN_PORT: '0', PROXY_HOST: '127.0.0.1', STRANGLER_RULES: rulesFile, STRANGLER_DIFF_DB: pg.url, STRANGLER_REPLICA: name,
      }, 'strangler proxy listening', 20_000);
      replicas.push({ name, port: Number(new URL(String(running.ready.proxy)).port), adminPort: Number(new URL(String(running.ready.admin)).port), process: running });
    }
    const port = await freePort();
    const conf = nginxConfig(dir, port, replicas);
    nginx = spawn(nginxBinary(), ['-p', dir, '-c', conf], { stdio: 'ignore' });
    process.once('exit', () => nginx?.kill('SIGKILL'));
    await waitForHttp(port, 10_000);
    return { pg, rulesFile, replicas, port, legacy, extracted, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
