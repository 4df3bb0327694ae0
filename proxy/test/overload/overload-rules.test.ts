import { loadRules } from '../../rules/load';
import { planChange, planRoutesOf } from '../../rules/plan';
import type { CompiledRules } from '../../rules/types';

const file = (defaults: string, route: string): string => `version: 1
upstreams: { legacy: http://127.0.0.1:3001, catalog: http://127.0.0.1:3101 }
${defaults}routes:
  - name: a
    match: { path: /x }
    extracted: catalog
${route.split('\n').map((l) => (l ? `    ${l}` : l)).join('\n')}
`;

function compiled(text: string): CompiledRules {
  const result = loadRules(text, 'r.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.rules;
}

describe('the overload keys, compiled', () => {
  test('admission control is on by default with a 1 s queue, normal priority and no rate limit', () => {
    const rules = compiled(file('', ''));
    expect(rules.defaults.maxQueueMs).toBe(1000);
    expect(rules.routes[0]).toMatchObject({ maxQueueMs: 1000, priority: 1, rateLimit: null });
  });

  test('defaults.overload: false turns it off for every route, and a route may turn it back on', () => {
    const off = compiled(file('defaults:\n  overload: false\n', ''));
    expect(off.defaults.maxQueueMs).toBeNull();
    expect(off.routes[0].maxQueueMs).toBeNull();
    expect(compiled(file('defaults:\n  overload: false\n', 'overload: { max_queue: 250ms }')).routes[0].maxQueueMs).toBe(250);
    expect(compiled(file('defaults:\n  overload: { max_queue: 2s }\n', 'overload: false')).routes[0].maxQueueMs).toBeNull();
  });

  test('priority and rate_limit: 600/m is 10 a second, burst defaults to the count, the header name is lower-cased', () => {
    const route = compiled(file('', 'priority: critical\nrate_limit: { by: header:X-Api-Key, rate: 600/m }')).routes[0];
    expect(route.priority).toBe(0);
    expect(route.rateLimit).toEqual({ by: 'header', header: 'x-api-key', perSecond: 10, burst: 600, quota: 600, windowSeconds: 60 });
    expect(compiled(file('', 'priority: low\nrate_limit: { rate: 2.5/s, burst: 5 }')).routes[0]).toMatchObject({ priority: 2, rateLimit: { by: 'identity', perSecond: 2.5, burst: 5 } });
  });

  test('a max_queue as long as the deadline is a warning: the wait would end in a timeout, not a shed', () => {
    const result = loadRules(file('defaults:\n  timeout_ms: 1000\n  overload: { max_queue: 1s }\n', ''), 'r.yaml');
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([expect.objectContaining({ code: 'RULES_QUEUE_OUTLASTS_TIMEOUT', line: 5, column: 26 })]);
  });

  test('plan shows a change of priority, rate limit and queue as setting changes', () => {
    const before = planRoutesOf(compiled(file('', '')));
    const after = planRoutesOf(compiled(file('', 'priority: critical\nrate_limit: { by: ip, rate: 20/s, burst: 40 }\noverload: { max_queue: 500ms }')));
    const [row] = planChange(before, after);
    expect(row.settingChanges).toEqual(expect.arrayContaining([
      { key: 'priority', old: 'normal', new: 'critical' },
      { key: 'rate_limit', old: 'none', new: '20/s by ip, burst 40' },
      { key: 'overload', old: 'max_queue 1s', new: 'max_queue 500ms' },
    ]));
  });
});
