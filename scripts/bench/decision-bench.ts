import { decide } from '../../proxy/decide/decide';
import { loadRules } from '../../proxy/rules/load';
import type { CompiledRules } from '../../proxy/rules/types';

/** `segment`: every route is a pattern with a header and a cookie condition (the request meets them). */
export type DecisionKind = 'exact' | 'pattern' | 'segment';

export interface DecisionResult { routes: number; kind: DecisionKind; nsPerDecision: number; iterations: number }

/** A rules file of `count` routes; the benchmarked request matches the last one. */
export function syntheticRules(count: number, kind: DecisionKind): CompiledRules {
  const routes: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = kind === 'exact' ? `/api/r${i}/items` : `/api/r${i}/items/:id`;
    const conditions = kind === 'segment' ? ', headers: { x-region: [eu, uk] }, cookies: { beta: "1" }' : '';
    routes.push(`  - { name: r${i}, match: { methods: [GET], path: "${path}"${conditions} }, extracted: svc, percent: 25, group: g${i % 7} }`);
  }
  const text = `version: 1\nupstreams: { legacy: "http://127.0.0.1:3001", svc: "http://127.0.0.1:3101" }\nroutes:\n${routes.join('\n')}\n`;
  const result = loadRules(text, 'bench.yaml');
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.rules;
}

/** ns per decision for the last route of a table, median of `rounds` timed loops after a warm-up. */
export function benchDecision(count: number, kind: DecisionKind, iterations: number, rounds = 5): DecisionResult {
  const rules = syntheticRules(count, kind);
  const last = count - 1;
  const path = kind === 'exact' ? `/api/r${last}/items` : `/api/r${last}/items/123`;
  const identities = Array.from({ length: 1024 }, (_, i) => `shopper-${i}`);
  const facts = identities.map((id) => ({ method: 'GET', path, headers: kind === 'segment' ? { cookie: `sid=abc; beta=1; strangler_id=${id}`, 'x-region': 'uk' } : { cookie: `sid=abc; strangler_id=${id}` } }));
  const flags = new Map();
  const inputs = { overrideDigest: null, newAnonymousId: () => 'anon' };
  let sink = 0;
  const loop = (n: number): bigint => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink += decide(rules, facts[i & 1023], flags, inputs).bucket ?? 0;
    return process.hrtime.bigint() - start;
  };
  loop(Math.min(iterations, 20_000));
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) samples.push(Number(loop(iterations)) / iterations);
  samples.sort((a, b) => a - b);
  if (sink === -1) console.log(sink); // keeps the loop from being optimised away
  return { routes: count, kind, nsPerDecision: Math.round(samples[Math.floor(rounds / 2)]), iterations };
}
