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
