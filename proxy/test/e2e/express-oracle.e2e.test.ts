/**
 * Case, trailing-slash and `;param` variants are decided as Express decides them: Express itself
 * (the monolith's router) is the oracle. An Express app with the same route patterns, in the same
 * order, names the route it would run; the real proxy must pick the same route for every variant.
 */
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import http from 'node:http';
import express from 'express';
import { request } from '../../../scripts/testing/http-client';
import { startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';
import { unsafePath } from '../../http/path-safety';
import { conditionsHold } from '../../rules/conditions';
import { loadRules } from '../../rules/load';
import { samplePath } from '../../rules/path-pattern';
import type { CompiledRules } from '../../rules/types';

let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;
let oracle: http.Server;
let oraclePort: number;
let rules: CompiledRules;

/** The shipped routes, plus a prefix route, pointed at test upstreams. */
function rulesText(legacyUrl: string, svcUrl: string): string {
  const shipped = fs.readFileSync('routing-rules.yaml', 'utf8');
  const routes = shipped.slice(shipped.indexOf('\nroutes:') + '\nroutes:'.length);
  // The shipped goals too: a route's rollout guard names one.
  const goalsAt = shipped.indexOf('\ngoals:');
  const goals = goalsAt === -1 ? '' : shipped.slice(goalsAt + 1, shipped.indexOf('\nroutes:') + 1);
  return `version: 1
upstreams: { legacy: "${legacyUrl}", catalog: "${svcUrl}", pricing: "${svcUrl}", checkout: "${svcUrl}" }
${goals}routes:
  - { name: cart-prefix, match: { path: "/api/cart{/*rest}" }, extracted: catalog, percent: 100 }
${routes.replace(/\n {4}shadow:\n(?: {6}.*\n)+/g, '\n')}`;
}

beforeAll(async () => {
  [legacy, svc] = await Promise.all([startUpstream('legacy'), startUpstream('svc')]);
  const text = rulesText(legacy.url, svc.url);
  const loaded = loadRules(text, 'oracle.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  rules = loaded.rules;
  proxy = await startTestProxy(text);
  // Express 5 with its default router settings, as the monolith runs it.
  const app = express();
  for (const route of rules.routes) {
    app.all(route.path, (req, res, next) => {
      if (route.methods !== null && !route.methods.has(req.method)) { next(); return; }
      // Header and cookie conditions are not the oracle's subject (paths are): checked the proxy's way.
      if (!conditionsHold(route.conditions, req.headers)) { next(); return; }
      res.type('text').send(route.name);
    });
  }
  app.use((_req, res) => { res.status(404).type('text').send('(unmatched)'); });
  oracle = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => oracle.once('listening', resolve));
  oraclePort = (oracle.address() as AddressInfo).port;
});

afterAll(async () => {
  expectNoCrash(proxy);
  await proxy.stop();
  await new Promise((resolve) => oracle.close(resolve));
  await Promise.all([legacy.close(), svc.close()]);
});

/** Every path we try, from each route's own shape. */
function variants(): string[] {
  const out = new Set<string>(['/api/cart', '/api/cart/', '/api/cart/items/3', '/API/CART/items', '/api/cartel', '/api/cart;x=1', '/api/carts/1', '/', '/about']);
  for (const route of rules.routes) {
    const base = samplePath(route.path, '42');
    const last = base.lastIndexOf('/');
    for (const path of [
      base, base.toUpperCase(), base.replace(/^\/api/, '/Api'), `${base}/`, `${base}//`, `${base};jsessionid=abc`,
      `${base.slice(0, last)};v=1${base.slice(last)}`, `${base}.json`, `${base}x`, `${base}/extra`, `${base}?q=1`, `${base}/?q=1`,
      `${base}%20`, `${base}%3B`, base.replace('42', '4%32'),
    ]) out.add(path);
  }
  return [...out];
}

test('for every variant of every route, the proxy picks the route Express runs', async () => {
  const checked: string[] = [];
  for (const path of variants()) {
    // Paths the proxy refuses outright are the corpus's business (raw-vectors), not routing.
    if (unsafePath(path) !== null) continue;
    for (const method of ['GET', 'POST']) {
      const [byExpress, byProxy] = await Promise.all([
        request({ port: oraclePort, path, method }),
        request({ port: proxy.port, path, method }),
      ]);
      expect({ method, path, route: byProxy.headers['x-strangler-route'] }).toEqual({ method, path, route: byExpress.body });
      checked.push(`${method} ${path}`);
    }
  }
  // The comparison ran over the variants, not over an empty list.
  expect(checked.length).toBeGreaterThan(200);
});
