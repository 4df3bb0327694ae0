/**
 * The two kinds of flag where the bucket shortcut once gave another answer than unleash-client:
 * a dependent flag, and a flexibleRollout without groupId. The flag state comes from the proxy's
 * own UnleashFlagSource (unleash-client inside), fetched from a loopback client API.
 */
import { decide } from '../../decide/decide';
import type { FlagSnapshot } from '../../flags/flag-state';
import { loadRules } from '../../rules/load';
import { bucketOf } from '../../decide/bucket';
import { fetchedFlags, serveClientFeatures } from './serve-features';

const SHOPPERS = Array.from({ length: 300 }, (_, i) => `shopper-${i}`);
const rollout = (percent: number, parameters: Record<string, string> = {}) => ({ name: 'flexibleRollout', parameters: { rollout: String(percent), stickiness: 'default', ...parameters }, constraints: [] });

const state = {
  version: 2,
  features: [
    { name: 'parent-off', enabled: false, strategies: [{ name: 'default', parameters: {}, constraints: [] }] },
    { name: 'child-default', enabled: true, strategies: [{ name: 'default', parameters: {}, constraints: [] }], dependencies: [{ feature: 'parent-off' }] },
    { name: 'child-rollout', enabled: true, strategies: [rollout(100, { groupId: 'child-rollout' })], dependencies: [{ feature: 'parent-off' }] },
    // No groupId: the flag's name is the group, and the route's group is that name too.
    { name: 'catalog', enabled: true, strategies: [rollout(50)] },
  ],
};
const loaded = loadRules(JSON.stringify({
  version: 1,
  upstreams: { legacy: 'http://127.0.0.1:9', svc: 'http://127.0.0.1:9' },
  defaults: { sticky_by: ['header:x-user-id'] },
  routes: [
    { name: 'child-default', match: { path: '/a' }, extracted: 'svc', flag: 'child-default' },
    { name: 'child-rollout', match: { path: '/b' }, extracted: 'svc', flag: 'child-rollout' },
    { name: 'catalog', match: { path: '/c' }, extracted: 'svc', flag: 'catalog' },
  ],
}), 'agreement.json');
if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
const rules = loaded.rules;

let flags: FlagSnapshot;
let stop: () => Promise<void>;
let close: () => Promise<void>;
beforeAll(async () => {
  const server = await serveClientFeatures(new Map([['agreement', state]]));
  close = server.close;
  ({ snapshot: flags, stop } = await fetchedFlags(server.apiUrl('agreement')));
});
afterAll(async () => {
  await stop();
  await close();
});

const withoutShortcut = (snapshot: FlagSnapshot): FlagSnapshot => new Map([...snapshot].map(([name, s]) => [name, { ...s, byPercentAlone: false }]));
const extractedShoppers = (path: string, snapshot: FlagSnapshot): string[] =>
  SHOPPERS.filter((id) => decide(rules, { method: 'GET', path, headers: { 'x-user-id': id } }, snapshot, { overrideDigest: null, newAnonymousId: () => 'anon' }).side === 'extracted');

describe('a dependent flag under a disabled parent', () => {
  test.each([
    ['/a', 'child-default', 'a default strategy'],
    ['/b', 'child-rollout', 'an unconstrained 100 % rollout'],
  ])('%s (%s, %s) sends nobody to extracted, with the shortcut on or off, and shows 0 %%', (path, flag) => {
    expect(extractedShoppers(path, flags)).toEqual([]);
    expect(extractedShoppers(path, withoutShortcut(flags))).toEqual([]);
    expect(flags.get(flag)).toMatchObject({ rolloutPercent: 0, byPercentAlone: false });
  });
});

describe('a flexibleRollout without groupId', () => {
  test('the shortcut and unleash-client pick the same shoppers: those whose bucket of "<flag name>:<id>" is within the rollout', () => {
    const expected = SHOPPERS.filter((id) => bucketOf('catalog', id) <= 50);
    expect(expected.length).toBeGreaterThan(100);
    expect(expected.length).toBeLessThan(200);
    expect(flags.get('catalog')).toMatchObject({ groupId: 'catalog', byPercentAlone: true });
    expect(extractedShoppers('/c', flags)).toEqual(expected);
    expect(extractedShoppers('/c', withoutShortcut(flags))).toEqual(expected);
  });
});
