import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { formatIssue, loadRules } from '../rules/load';
import { planChange, planRoutesOf, routeSettings } from '../rules/plan';
import type { RuleIssue } from '../rules/types';

interface ErrorCase { name: string; routes?: string; file?: string; expect: Partial<RuleIssue> & { message?: string } }
const table = parse(fs.readFileSync(path.join(__dirname, 'cases', 'rule-errors.yaml'), 'utf8')) as { base: string; cases: ErrorCase[] };

describe('every error is reported with file, line, column and what was expected', () => {
  test.each(table.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const text = c.file ?? table.base + c.routes!.split('\n').map((l) => (l ? `  ${l}` : l)).join('\n');
    const result = loadRules(text, 'rules.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const issue = result.errors.find((e) => e.code === c.expect.code);
    expect(issue).toBeDefined();
    const { message, ...exact } = c.expect;
    expect(issue).toMatchObject({ file: 'rules.yaml', level: 'error', ...exact });
    if (message) expect(issue!.message).toContain(message);
  });
});

test('five different errors in one file are all reported, each at its own line and column', () => {
  const text = fs.readFileSync(path.join(__dirname, 'cases', 'five-errors.yaml'), 'utf8');
  const result = loadRules(text, 'five.yaml');
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.errors.map((e) => [e.code, e.line, e.column])).toEqual([
    ['RULES_UNKNOWN_UPSTREAM', 8, 16],
    ['RULES_DUPLICATE_ROUTE', 9, 11],
    ['RULES_PERCENT_RANGE', 12, 14],
    ['RULES_BAD_PATH', 14, 20],
    ['RULES_UNKNOWN_KEY', 16, 5],
  ]);
});

describe('warnings', () => {
  const file = (routes: string): string => `version: 1\nupstreams:\n  legacy: http://127.0.0.1:3001\n  catalog: http://127.0.0.1:3101\n  spare: http://127.0.0.1:3999\nroutes:\n${routes}`;
  const warnings = (text: string): string[] => {
    const result = loadRules(text, 'w.yaml');
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.warnings.map((w) => w.code);
  };
  test('a route fully shadowed by an earlier one, an unused upstream, flag with percent, shadowed writes', () => {
    expect(warnings(file(`  - name: all-products
    match: { path: /api/products/:id }
    extracted: catalog
  - name: one-product
    match: { methods: [GET], path: /api/products/:pid }
    extracted: catalog
    flag: f
    percent: 5
  - name: writes
    match: { path: /api/cart }
    extracted: catalog
    percent: 10
    shadow: { percent: 10 }
  - name: writes-at-zero
    match: { path: /api/cart2 }
    extracted: catalog
    shadow: { percent: 10 }
`)).sort()).toEqual(['RULES_FLAG_AND_PERCENT', 'RULES_SHADOWED_ROUTE', 'RULES_SHADOW_WRITES_TO_LEGACY', 'RULES_UNUSED_UPSTREAM']);
  });
  test('segment routes: shadowed by an earlier route whose conditions they imply, never by a narrower segment', () => {
    const segments = (first: string, second: string): string[] => warnings(file(`  - name: first
    match: { methods: [POST], path: /api/quote${first} }
    extracted: catalog
  - name: second
    match: { methods: [POST], path: /api/quote${second} }
    extracted: spare
`));
    expect(segments('', ', headers: { x-region: eu }')).toEqual(['RULES_SHADOWED_ROUTE']);
    expect(segments(', headers: { X-Region: [eu, uk] }', ', headers: { x-region: eu }, cookies: { beta: "1" }')).toEqual(['RULES_SHADOWED_ROUTE']);
    expect(segments(', headers: { x-region: eu }', '')).toEqual([]);
    expect(segments(', headers: { x-region: eu }', ', headers: { x-region: [eu, uk] }')).toEqual([]);
    expect(segments(', cookies: { region: eu }', ', headers: { region: eu }')).toEqual([]);
  });
  test('a narrower earlier route does not shadow a broader later one', () => {
    expect(warnings(file(`  - name: new-product
    match: { path: /api/products/new }
    extracted: spare
  - name: any-product
    match: { path: /api/products/:id }
    extracted: catalog
`))).toEqual([]);
  });
});

describe('the shipped routing-rules.yaml', () => {
  test('is valid, without warnings, and compiles into a frozen table', () => {
    const file = path.join(__dirname, '..', '..', 'routing-rules.yaml');
    const result = loadRules(fs.readFileSync(file, 'utf8'), file);
    if (!result.ok) throw new Error(JSON.stringify(result.errors, null, 2));
    expect(result.warnings).toEqual([]);
    expect(Object.isFrozen(result.rules)).toBe(true);
    expect(Object.isFrozen(result.rules.routes[0])).toBe(true);
    expect(result.rules.match('GET', '/api/products/42', {})?.name).toBe('product-detail');
    expect(result.rules.match('POST', '/api/checkout', {})?.name).toBe('checkout');
    expect(result.rules.match('GET', '/ws/stock/17', {})).toMatchObject({ name: 'stock-live', websocket: true, percent: 0, group: 'catalog' });
  });
});

describe('matching is decided as Express decides it', () => {
  const rules = loadRules(`version: 1
upstreams: { legacy: "http://127.0.0.1:3001", catalog: "http://127.0.0.1:3101" }
routes:
  - { name: detail, match: { methods: [GET], path: /api/products/:id }, extracted: catalog }
  - { name: list, match: { path: /api/products }, extracted: catalog }
  - { name: files, match: { path: "/static/*rest" }, extracted: catalog }
  - { name: root, match: { path: / }, extracted: catalog }
`, 'm.yaml');
  if (!rules.ok) throw new Error('rules invalid');
  test.each([
    ['GET', '/api/products/1', 'detail'],
    ['GET', '/API/Products/1', 'detail'],
    ['GET', '/api/products/1/', 'detail'],
    ['POST', '/api/products/1', null],
    ['GET', '/api/products/1/reviews', null],
    ['GET', '/api/products', 'list'],
    ['DELETE', '/api/products/', 'list'],
    ['GET', '/api/productsX', null],
    ['GET', '/api/products;x=1', null],
    ['GET', '/static/a/b.css', 'files'],
    ['GET', '/static', null],
    ['GET', '/', 'root'],
    ['GET', '/anything', null],
  ])('%s %s -> %s', (method, p, expected) => {
    expect(rules.rules.match(method, p, {})?.name ?? null).toBe(expected);
  });
});

describe('environment variables in upstream URLs', () => {
  const text = `version: 1
upstreams:
  legacy: http://127.0.0.1:\${LEGACY_PORT:-3001}
  svc: "http://\${SVC_HOST}:\${SVC_PORT:-3101}"
routes:
  - { name: r, match: { path: /api/x }, extracted: svc }
`;
  test('${NAME} and ${NAME:-default} resolve from the environment given; unset or empty takes the default', () => {
    const set = loadRules(text, 'env.yaml', { LEGACY_PORT: '4001', SVC_HOST: 'svc.internal', SVC_PORT: '' });
    if (!set.ok) throw new Error(JSON.stringify(set.errors));
    expect(set.rules.legacy.url).toBe('http://127.0.0.1:4001');
    expect(set.rules.upstreams.get('svc')!.url).toBe('http://svc.internal:3101');
  });
  test('a variable that is unset and has no default is an error at its line and column, and the only one for that value', () => {
    const unset = loadRules(text, 'env.yaml', {});
    expect(unset.ok).toBe(false);
    if (unset.ok) return;
    expect(unset.errors.map(formatIssue)).toEqual([
      'env.yaml:4:16: error: upstream "svc" uses ${SVC_HOST}, which is not set (set SVC_HOST, or give a default: ${SVC_HOST:-…})',
    ]);
  });
});

describe('websocket routes', () => {
  const file = (route: string): string => `version: 1\nupstreams:\n  legacy: http://127.0.0.1:3001\n  catalog: http://127.0.0.1:3101\nroutes:\n  - name: live\n    match: { methods: [GET], path: /ws/stock/:id }\n    extracted: catalog\n${route}`;
  const compiled = (text: string) => {
    const result = loadRules(text, 'ws.yaml');
    if (!result.ok) throw new Error(result.errors.map(formatIssue).join('\n'));
    return result.rules;
  };
  test('websocket compiles into the route (default false) and is one of the settings plan and /status show', () => {
    const off = compiled(file(''));
    const on = compiled(file('    websocket: true\n'));
    expect(off.routes[0].websocket).toBe(false);
    expect(on.routes[0].websocket).toBe(true);
    expect(routeSettings(on.routes[0]).websocket).toBe('true');
    const [row] = planChange(planRoutesOf(off), planRoutesOf(on));
    expect(row.change).toBe('changed');
    expect(row.settingChanges).toEqual([{ key: 'websocket', old: 'false', new: 'true' }]);
  });
  test('a route that matches every method may carry websocket: true', () => {
    expect(compiled(file('    websocket: true\n').replace('methods: [GET], ', '')).routes[0].websocket).toBe(true);
  });
});

describe('conversion goals and guards', () => {
  const file = (goal: string, guard: string): string => `version: 1
upstreams:
  legacy: http://127.0.0.1:3001
  catalog: http://127.0.0.1:3101
goals:
  order: { route: checkout${goal} }
routes:
  - name: product-detail
    match: { path: /api/products/:id }
    extracted: catalog
    rollout: { steps: [5, 100]${guard} }
  - name: checkout
    match: { methods: [POST], path: /api/checkout }
    extracted: catalog
`;
  const compiled = (text: string) => {
    const result = loadRules(text, 'guard.yaml');
    if (!result.ok) throw new Error(result.errors.map(formatIssue).join('\n'));
    return result;
  };
  test('goals compile with their status class (2xx by default); a guard takes the defaults it does not set', () => {
    const { rules } = compiled(file('', ', guard: { goal: order, min_shoppers: 50 }'));
    expect(rules.goals).toEqual([{ name: 'order', route: 'checkout', statusClass: 2 }]);
    expect(rules.routes[0].rollout!.guard).toEqual({ goal: 'order', maxDrop: 0.05, minShoppers: 50, confidence: 0.95 });
    expect(rules.routes[1].rollout).toBeNull();
    expect(compiled(file(', status: 3xx', '')).rules.goals[0].statusClass).toBe(3);
    expect(compiled(file('', '')).rules.routes[0].rollout!.guard).toBeNull();
  });
  test('plan shows a guard added or changed, and a change to the goal it watches', () => {
    const none = compiled(file('', '')).rules;
    const guarded = compiled(file('', ', guard: { goal: order, max_drop: 0.1, confidence: 0.99 }')).rules;
    const redirects = compiled(file(', status: 3xx', ', guard: { goal: order, max_drop: 0.1, confidence: 0.99 }')).rules;
    expect(routeSettings(guarded.routes[0], guarded.goals).guard).toBe('order (checkout 2xx): max_drop 0.1, min_shoppers 500, confidence 0.99');
    expect(planChange(planRoutesOf(none), planRoutesOf(guarded))[0].settingChanges).toEqual([
      { key: 'guard', old: 'none', new: 'order (checkout 2xx): max_drop 0.1, min_shoppers 500, confidence 0.99' },
    ]);
    expect(planChange(planRoutesOf(guarded), planRoutesOf(redirects))[0].settingChanges.map((c) => c.new)).toEqual(['order (checkout 3xx): max_drop 0.1, min_shoppers 500, confidence 0.99']);
  });
  test('a route guarded by a goal reached on itself is a warning', () => {
    const text = file('', '').replace('route: checkout', 'route: product-detail').replace('steps: [5, 100]', 'steps: [5, 100], guard: { goal: order }');
    expect(compiled(text).warnings.map((w) => [w.code, w.line])).toEqual([['RULES_GUARD_ON_GOAL_ROUTE', 11]]);
  });
});
