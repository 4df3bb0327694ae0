import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { decide } from '../decide/decide';
import { overrideTokenDigest } from '../decide/override';
import type { FlagState } from '../flags/flag-state';
import { loadRules } from '../rules/load';

interface DecideCase {
  name: string;
  request: { method: string; path: string; headers: Record<string, string> };
  flags?: Record<string, Pick<FlagState, 'enabled' | 'rolloutPercent'>>;
  anonymousId?: string;
  expect: Record<string, unknown>;
}
const table = parse(fs.readFileSync(path.join(__dirname, 'cases', 'decide-cases.yaml'), 'utf8')) as { rules: string; token: string; cases: DecideCase[] };
const loaded = loadRules(table.rules, 'decide-cases.yaml');
if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
const rules = loaded.rules;

test.each(table.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
  const flags = new Map(Object.entries(c.flags ?? {}).map(([name, f]) => [name, { ...f, groupId: null, stickiness: null, notes: [] }]));
  const decision = decide(rules, c.request, flags, { overrideDigest: overrideTokenDigest(table.token), newAnonymousId: () => c.anonymousId ?? 'anon-fixed' });
  const seen = { ...decision, route: decision.route ? decision.route.name : null };
  expect(seen).toMatchObject(c.expect);
});

test('the decision is pure: same inputs, same answer, inputs untouched', () => {
  const headers = Object.freeze({ 'x-user-id': 'user-2', cookie: 'x=y' });
  const facts = Object.freeze({ method: 'GET', path: '/api/products/7', headers });
  const inputs = { overrideDigest: null, newAnonymousId: () => { throw new Error('must not be called when an identity exists'); } };
  const a = decide(rules, facts, new Map(), inputs);
  const b = decide(rules, facts, new Map(), inputs);
  expect(a).toEqual(b);
});

test('overrides are off when no secret is configured', () => {
  const decision = decide(rules, { method: 'GET', path: '/api/killed', headers: { 'x-strangler-force': 'extracted', 'x-strangler-token': '' } }, new Map(), { overrideDigest: null, newAnonymousId: () => 'a' });
  expect(decision.reason).toBe('killed');
});

describe('a flag evaluated by Unleash gets the request context', () => {
  const text = `version: 1
upstreams: { legacy: "http://127.0.0.1:3001", svc: "http://127.0.0.1:3101" }
defaults:
  context: { region: [header:x-region, cookie:region], sessionId: [cookie:sid] }
routes:
  - { name: quote, match: { path: /q }, extracted: svc, flag: f, context: { region: [cookie:region], tenant: [header:x-tenant] } }
`;
  const loaded = loadRules(text, 'ctx.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const seen: unknown[] = [];
  const flags = new Map([['f', { enabled: true, rolloutPercent: 100, groupId: 'quote', stickiness: 'default', notes: [], isEnabled: (c: unknown) => { seen.push(c); return false; } }]]);
  const inputs = { overrideDigest: null, newAnonymousId: () => 'anon-1' };

  test('userId is the identity, remoteAddress the socket, sessionId and properties from the sources (route over defaults); Unleash\'s answer decides', () => {
    seen.length = 0;
    const decision = decide(loaded.rules, { method: 'GET', path: '/q', headers: { 'x-region': 'us', cookie: 'region=eu; sid=s-9', 'x-tenant': 'acme', 'x-user-id': 'u-7' }, remoteAddress: '10.0.0.5' }, flags, inputs);
    expect(seen).toEqual([{ userId: 'u-7', remoteAddress: '10.0.0.5', sessionId: 's-9', properties: { region: 'eu', tenant: 'acme' } }]);
    expect(decision).toMatchObject({ side: 'legacy', reason: 'flag', percent: 100, percentSource: 'flag' });
  });

  test('fields not on the request are absent, never empty strings', () => {
    seen.length = 0;
    decide(loaded.rules, { method: 'GET', path: '/q', headers: {} }, flags, inputs);
    expect(seen).toEqual([{ userId: 'anon-1', remoteAddress: undefined, sessionId: undefined, properties: {} }]);
  });
});
