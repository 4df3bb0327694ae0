import { BreakerBoard } from '../breaker/breaker-board';
import { RouteBreaker, type BreakerChange } from '../breaker/route-breaker';
import { decide } from '../decide/decide';
import { loadRules } from '../rules/load';

const config = { failureRate: 0.5, minRequests: 4, windowMs: 10_000, openForMs: 30_000, probes: 2 };

function machine(): { breaker: RouteBreaker; clock: { t: number }; changes: BreakerChange[] } {
  const clock = { t: 1_000_000 };
  const changes: BreakerChange[] = [];
  const breaker = new RouteBreaker(config, () => clock.t, (c) => changes.push(c));
  return { breaker, clock, changes };
}

const fail = (b: RouteBreaker, n: number): void => { for (let i = 0; i < n; i++) b.result(true, false); };
const pass = (b: RouteBreaker, n: number): void => { for (let i = 0; i < n; i++) b.result(false, false); };

describe('route breaker', () => {
  test('stays closed below min_requests, even when every request failed', () => {
    const { breaker } = machine();
    fail(breaker, 3);
    expect(breaker.gate()).toBe('closed');
    expect(breaker.status()).toMatchObject({ state: 'closed', requests: 3, failureRate: 1 });
  });

  test('opens when the failed share reaches the rate with enough requests, and says so once', () => {
    const { breaker, changes } = machine();
    pass(breaker, 2);
    fail(breaker, 1);
    expect(breaker.gate()).toBe('closed'); // 1/3, too few anyway
    fail(breaker, 1); // 2/4 = 0.5
    expect(breaker.gate()).toBe('open');
    expect(changes).toEqual([{ from: 'closed', to: 'open', failureRate: 0.5, requests: 4 }]);
    expect(breaker.status()).toMatchObject({ state: 'open', failureRate: 0.5, requests: 4, trips: 1 });
  });

  test('failures older than the window no longer count', () => {
    const { breaker, clock } = machine();
    fail(breaker, 3);
    clock.t += 11_000;
    pass(breaker, 3);
    fail(breaker, 1); // 1/4 in the window: the three old failures slid out
    expect(breaker.gate()).toBe('closed');
    expect(breaker.status().requests).toBe(4);
  });

  test('half-open after open_for: only `probes` trial requests, all must succeed to close with a fresh window', () => {
    const { breaker, clock, changes } = machine();
    fail(breaker, 4);
    clock.t += 29_999;
    expect(breaker.gate()).toBe('open');
    clock.t += 1;
    expect(breaker.gate()).toBe('probing');
    expect(breaker.status().state).toBe('half-open');
    breaker.probeStarted();
    breaker.probeStarted();
    expect(breaker.gate()).toBe('open'); // both trial slots taken
    breaker.result(false, false); // not a probe: not judged while half-open
    breaker.result(false, true);
    expect(breaker.current).toBe('half-open');
    breaker.result(false, true);
    expect(breaker.gate()).toBe('closed');
    expect(breaker.status()).toMatchObject({ state: 'closed', requests: 0, failureRate: null });
    expect(changes.map((c) => c.to)).toEqual(['open', 'half-open', 'closed']);
  });

  test('a failed trial request opens it again for open_for; trips count every opening', () => {
    const { breaker, clock } = machine();
    fail(breaker, 4);
    clock.t += 30_000;
    expect(breaker.gate()).toBe('probing');
    breaker.probeStarted();
    breaker.result(true, true);
    expect(breaker.gate()).toBe('open');
    expect(breaker.status().trips).toBe(2);
    clock.t += 30_000;
    expect(breaker.gate()).toBe('probing');
  });

  test('a trial request whose shopper left frees its slot', () => {
    const { breaker, clock } = machine();
    fail(breaker, 4);
    clock.t += 30_000;
    expect(breaker.gate()).toBe('probing');
    breaker.probeStarted();
    breaker.probeStarted();
    expect(breaker.gate()).toBe('open');
    breaker.probeAbandoned();
    expect(breaker.gate()).toBe('probing');
  });

  test('a hook that throws does not leave the machine half-changed', () => {
    const breaker = new RouteBreaker(config, () => 5, () => { throw new Error('bug'); });
    fail(breaker, 4);
    expect(breaker.gate()).toBe('open');
  });
});

const RULES = `version: 1
upstreams: { legacy: http://127.0.0.1:1, svc: http://127.0.0.1:2 }
defaults:
  breaker: { min_requests: 4, window: 10s, open_for: 30s, probes: 2 }
routes:
  - { name: guarded, match: { path: /g }, extracted: svc, percent: 100 }
  - { name: half, match: { path: /h }, extracted: svc, percent: 50 }
  - { name: unguarded, match: { path: /u }, extracted: svc, percent: 100, breaker: false }
  - { name: killed, match: { path: /k }, extracted: svc, percent: 100, killed: true }
`;

describe('breaker in the decision', () => {
  const loaded = loadRules(RULES, 'rules.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const rules = loaded.rules;
  const inputs = { overrideDigest: null, newAnonymousId: () => 'anon' };
  const ask = (path: string, gate: 'closed' | 'open' | 'probing', user = 'u1', headers: Record<string, string> = {}) =>
    decide(rules, { method: 'GET', path, headers: { 'x-user-id': user, ...headers } }, new Map(), inputs, () => gate);

  test('routes get defaults.breaker merged with built-in values; `breaker: false` opts out', () => {
    expect(rules.routes[0].breaker).toEqual({ failureRate: 0.5, minRequests: 4, windowMs: 10_000, openForMs: 30_000, probes: 2 });
    expect(rules.routes[2].breaker).toBeNull();
  });

  test('open: shoppers the percent sends to extracted go to legacy with reason breaker', () => {
    expect(ask('/g', 'open')).toMatchObject({ side: 'legacy', reason: 'breaker', percent: 100, probe: false });
    expect(ask('/g', 'closed')).toMatchObject({ side: 'extracted', reason: 'percent', probe: false });
  });

  test('half-open with a free slot: a trial request goes to extracted, marked as a probe', () => {
    expect(ask('/g', 'probing')).toMatchObject({ side: 'extracted', reason: 'percent', probe: true });
  });

  test('shoppers the percent keeps on legacy are not touched by the breaker', () => {
    let legacyUser = '';
    for (let i = 0; i < 100 && legacyUser === ''; i++) if (ask('/h', 'closed', `user-${i}`).side === 'legacy') legacyUser = `user-${i}`;
    expect(ask('/h', 'open', legacyUser)).toMatchObject({ side: 'legacy', reason: 'percent' });
  });

  test('precedence: killed over breaker; a route without a breaker ignores the gate', () => {
    expect(ask('/k', 'open')).toMatchObject({ side: 'legacy', reason: 'killed' });
    expect(ask('/u', 'open')).toMatchObject({ side: 'extracted', reason: 'percent' });
  });

  test('the board keeps a breaker across a reload unless its settings change', () => {
    const board = new BreakerBoard(() => undefined, () => 1000);
    board.sync(rules.routes);
    for (let i = 0; i < 4; i++) board.result(rules.routes[0], true, false);
    expect(board.gate(rules.routes[0])).toBe('open');
    board.sync(rules.routes);
    expect(board.gate(rules.routes[0])).toBe('open');
    const changed = loadRules(RULES.replace('probes: 2', 'probes: 3'), 'rules.yaml');
    if (!changed.ok) throw new Error('reload');
    board.sync(changed.rules.routes);
    expect(board.gate(changed.rules.routes[0])).toBe('closed');
    expect(board.status('unguarded')).toBeNull();
  });
});
