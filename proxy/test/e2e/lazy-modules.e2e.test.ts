/**
 * A proxy pays in memory only for what its configuration uses: unleash-client (about 15 MB of
 * resident memory) is loaded only with UNLEASH_URL; better-sqlite3, pg and parse5 (the comparison's HTML parser) only on the shadow worker thread. undici is the forwarding engine, so it is
 * always there; http-proxy, which carries WebSocket routes, only once a route has `websocket: true`;
 * the OpenTelemetry SDK only with OTEL_EXPORTER_OTLP_ENDPOINT.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../../scripts/testing/processes';
import { oneRouteRules } from '../../../scripts/testing/upstreams';

const MAIN = path.resolve(__dirname, '../../../dist/proxy/main.js');

/** Starts the built proxy in a fresh node, optionally rewrites its rules, and reports which modules it loaded. */
function loadedModules(rules: string, thenRules: string | null, env: Record<string, string> = {}): Promise<{ undici: boolean; unleash: boolean; httpProxy: boolean; sqlite: boolean; pg: boolean; parse5: boolean; otel: boolean }> {
  const dir = tempDir('lazy');
  const file = path.join(dir, 'rules.yaml');
  fs.writeFileSync(file, rules);
  const script = `
    const fs = require('node:fs');
    const { startProxy } = require(${JSON.stringify(MAIN)});
    // prom-client loads @opentelemetry/api (for exemplars) in every proxy: the SDK is every other @opentelemetry package.
    const otelSdk = (k) => k.includes('/node_modules/@opentelemetry/') && !k.includes('/node_modules/@opentelemetry/api/');
    const loaded = (name) => Object.keys(require.cache).some((k) => k.includes('/node_modules/' + name + '/'));
    (async () => {
      const proxy = await startProxy();
      if (process.env.THEN_RULES) {
        fs.writeFileSync(process.env.STRANGLER_RULES, process.env.THEN_RULES);
        await proxy.store.reload('admin');
      }
      const report = JSON.stringify({ undici: loaded('undici'), unleash: loaded('unleash-client'), httpProxy: loaded('http-proxy'), sqlite: loaded('better-sqlite3'), pg: loaded('pg'), parse5: loaded('parse5'), otel: Object.keys(require.cache).some(otelSdk) });
      await proxy.stop();
      process.stdout.write(report);
    })().catch((error) => { console.error(error); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], {
      env: { ...process.env, PROXY_PORT: '0', ADMIN_PORT: '0', PROXY_HOST: '127.0.0.1', LOG_LEVEL: 'error', STRANGLER_RULES: file, STRANGLER_DIFF_DB: path.join(dir, 'diffs.sqlite'), THEN_RULES: thenRules ?? '', ...env },
      timeout: 20_000,
    }, (error, stdout, stderr) => {
      if (error) { reject(new Error(`${error.message}\n${stderr}`)); return; }
      resolve(JSON.parse(stdout) as { undici: boolean; unleash: boolean; httpProxy: boolean; sqlite: boolean; pg: boolean; parse5: boolean; otel: boolean });
    });
  });
}

const plain = oneRouteRules('http://127.0.0.1:9', 'http://127.0.0.1:9', 'match: { path: /api/x }\npercent: 10');
const websocket = oneRouteRules('http://127.0.0.1:9', 'http://127.0.0.1:9', 'match: { path: /ws/x }\npercent: 10\nwebsocket: true');
const mirrored = oneRouteRules('http://127.0.0.1:9', 'http://127.0.0.1:9', 'match: { path: /api/x }\npercent: 10\nshadow: { percent: 5 }');

test('without Unleash, unleash-client is not loaded; undici forwards; http-proxy is not loaded for HTTP', async () => {
  expect(await loadedModules(plain, null)).toEqual({ undici: true, unleash: false, httpProxy: false, sqlite: false, pg: false, parse5: false, otel: false });
});

test('a shadow route, at start or added by a reload, runs the diff store and the comparison on its worker thread: neither SQLite nor parse5 loads on the shoppers\' thread', async () => {
  expect(await loadedModules(mirrored, null)).toEqual({ undici: true, unleash: false, httpProxy: false, sqlite: false, pg: false, parse5: false, otel: false });
  expect(await loadedModules(plain, mirrored)).toEqual({ undici: true, unleash: false, httpProxy: false, sqlite: false, pg: false, parse5: false, otel: false });
});

test('a PostgreSQL diff store (here one that is not there) is the worker\'s alone too: pg does not load on the shoppers\' thread', async () => {
  expect(await loadedModules(mirrored, null, { STRANGLER_DIFF_DB: 'postgres://strangler:secret@127.0.0.1:1/strangler' })).toEqual({ undici: true, unleash: false, httpProxy: false, sqlite: false, pg: false, parse5: false, otel: false });
});

test('a websocket route, at start or added by a reload, loads http-proxy; HTTP routes alone never do', async () => {
  expect(await loadedModules(websocket, null)).toEqual({ undici: true, unleash: false, httpProxy: true, sqlite: false, parse5: false, pg: false, otel: false });
  expect(await loadedModules(plain, websocket)).toEqual({ undici: true, unleash: false, httpProxy: true, sqlite: false, parse5: false, pg: false, otel: false });
});

test('UNLEASH_URL loads unleash-client', async () => {
  expect(await loadedModules(plain, null, { UNLEASH_URL: 'http://127.0.0.1:9/api', UNLEASH_TIMEOUT_MS: '200' })).toMatchObject({ unleash: true });
});

test('OTEL_EXPORTER_OTLP_ENDPOINT loads the OpenTelemetry SDK; without it no @opentelemetry module loads', async () => {
  expect(await loadedModules(plain, null)).toMatchObject({ otel: false });
  expect(await loadedModules(plain, null, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' })).toMatchObject({ otel: true });
});
