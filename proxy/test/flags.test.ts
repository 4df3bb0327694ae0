import fs from 'node:fs';
import path from 'node:path';
import { AtomicBackupStorage } from '../flags/backup-storage';
import { featureToFlagState, flagWarnings } from '../flags/feature-to-flag';
import { tempDir } from '../../scripts/testing/processes';

const rollout = (parameters: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ name: 'flexibleRollout', parameters, constraints: [], ...extra });

describe('an Unleash feature as the proxy reads it', () => {
  test('a flexibleRollout gives its percent, groupId and stickiness', () => {
    expect(featureToFlagState({ name: 'f', enabled: true, strategies: [rollout({ rollout: '25', groupId: 'catalog', stickiness: 'default' })] }))
      .toEqual({ enabled: true, rolloutPercent: 25, groupId: 'catalog', stickiness: 'default', notes: [], byPercentAlone: true });
  });

  test('the percent alone decides only without constraints, segments, other strategies or another stickiness', () => {
    const alone = (strategies: Array<Record<string, unknown>>): boolean | undefined => featureToFlagState({ name: 'f', enabled: true, strategies: strategies as never })?.byPercentAlone;
    expect(alone([rollout({ rollout: '25', stickiness: 'userId' })])).toBe(true);
    expect(alone([rollout({ rollout: '25' }, { constraints: [{ contextName: 'region', operator: 'IN', values: ['eu'] }] })])).toBe(false);
    expect(alone([rollout({ rollout: '25' }, { segments: [1] })])).toBe(false);
    expect(alone([rollout({ rollout: '25', stickiness: 'sessionId' })])).toBe(false);
    expect(alone([rollout({ rollout: '25' }), { name: 'userWithId', parameters: { userIds: 'a' }, constraints: [] }])).toBe(false);
  });

  test('the percent alone never decides where unleash-client reads more: parents, a disabled strategy it still evaluates, a fractional rollout', () => {
    const alone = (feature: Record<string, unknown>): boolean | undefined => featureToFlagState({ name: 'f', enabled: true, ...feature } as never)?.byPercentAlone;
    expect(alone({ strategies: [{ name: 'default', parameters: {}, constraints: [] }], dependencies: [{ feature: 'p' }] })).toBe(false);
    expect(alone({ strategies: [], dependencies: [{ feature: 'p' }] })).toBe(false);
    expect(alone({ strategies: [rollout({ rollout: '25' }), rollout({ rollout: '90' }, { disabled: true })] })).toBe(false);
    expect(alone({ strategies: [rollout({ rollout: '33.5' })] })).toBe(false);
    expect(alone({})).toBe(false);
  });

  test("a flag with parents shows at most what they let through: 0% under a disabled, missing or itself dependent parent", () => {
    const parents: Record<string, Record<string, unknown>> = {
      off: { name: 'off', enabled: false, strategies: [] },
      half: { name: 'half', enabled: true, strategies: [rollout({ rollout: '40' })] },
      nested: { name: 'nested', enabled: true, strategies: [], dependencies: [{ feature: 'half' }] },
      always: { name: 'always', enabled: true, strategies: [] },
    };
    const lookup = (name: string) => parents[name] as never;
    const child = (dependencies: unknown[]) => featureToFlagState({ name: 'c', enabled: true, strategies: [rollout({ rollout: '80', groupId: 'g' })], dependencies } as never, lookup)!;
    expect(child([{ feature: 'off' }])).toMatchObject({ rolloutPercent: 0, byPercentAlone: false });
    expect(child([{ feature: 'off' }]).notes.join(' ')).toMatch(/parent "off" is disabled/);
    expect(child([{ feature: 'gone' }]).rolloutPercent).toBe(0);
    expect(child([{ feature: 'nested' }]).rolloutPercent).toBe(0);
    expect(child([{ feature: 'half' }]).rolloutPercent).toBe(40);
    expect(child([{ feature: 'half', enabled: false }]).rolloutPercent).toBe(60);
    expect(child([{ feature: 'always', enabled: false }]).rolloutPercent).toBe(0);
    expect(child([{ feature: 'off', enabled: false }]).rolloutPercent).toBe(80);
  });

  test('a disabled flag means 0% whatever its rollout says', () => {
    expect(featureToFlagState({ name: 'f', enabled: false, strategies: [rollout({ rollout: '100' })] })).toMatchObject({ enabled: false, rolloutPercent: 0 });
  });

  test('an enabled flag with no strategies, or a default strategy, is on for everyone, as in Unleash', () => {
    expect(featureToFlagState({ name: 'f', enabled: true, strategies: [] })).toMatchObject({ rolloutPercent: 100 });
    expect(featureToFlagState({ name: 'f', enabled: true, strategies: [{ name: 'default', parameters: {}, constraints: [] }] })).toMatchObject({ rolloutPercent: 100 });
  });

  test('groupId and stickiness fall back to the flag name (passed to unleash-client as featureToggle) and "default"', () => {
    expect(featureToFlagState({ name: 'checkout-rollout', enabled: true, strategies: [rollout({ rollout: 5 })] })).toMatchObject({ groupId: 'checkout-rollout', stickiness: 'default' });
  });

  test('percent is clamped to 0..100 and a missing or unreadable percent leaves the flag unknown (YAML applies)', () => {
    expect(featureToFlagState({ name: 'f', enabled: true, strategies: [rollout({ rollout: '150' })] })).toMatchObject({ rolloutPercent: 100 });
    expect(featureToFlagState({ name: 'f', enabled: true, strategies: [rollout({ rollout: 'lots' })] })).toBeNull();
    expect(featureToFlagState({ name: 'f', enabled: true, strategies: [rollout({})] })).toBeNull();
  });

  test('only other strategies (userWithId, a constrained default, …): known, shown as up to 100%, picked by Unleash per request', () => {
    const users = featureToFlagState({ name: 'f', enabled: true, strategies: [{ name: 'userWithId', parameters: { userIds: 'a' }, constraints: [] }] });
    expect(users).toMatchObject({ enabled: true, rolloutPercent: 100, groupId: null });
    expect(users!.notes.join(' ')).toMatch(/userWithId: who is picked depends on the request/);
    const eu = featureToFlagState({ name: 'f', enabled: true, strategies: [{ name: 'default', parameters: {}, constraints: [{ contextName: 'region', operator: 'IN', values: ['eu'] }] }] });
    expect(eu!.notes.join(' ')).toMatch(/constraints or segments narrow who is picked/);
  });

  test('disabled strategies are skipped; constraints and extra strategies are noted (Unleash applies them)', () => {
    const state = featureToFlagState({
      name: 'f', enabled: true,
      strategies: [
        rollout({ rollout: '90' }, { disabled: true }),
        rollout({ rollout: '30', groupId: 'g' }, { constraints: [{ contextName: 'region', operator: 'IN', values: ['eu'] }] }),
        { name: 'remoteAddress', parameters: {}, constraints: [] },
      ],
    });
    expect(state).toMatchObject({ rolloutPercent: 30, groupId: 'g' });
    expect(state!.notes.join(' ')).toMatch(/remoteAddress/);
    expect(state!.notes.join(' ')).toMatch(/constraints/);
  });
});

describe('warnings when Unleash SDKs would pick other shoppers than the proxy', () => {
  const base = { enabled: true, rolloutPercent: 10, notes: [] };
  test('none when groupId is the route group and stickiness is default or userId', () => {
    expect(flagWarnings('catalog', { ...base, groupId: 'catalog', stickiness: 'default' })).toEqual([]);
    expect(flagWarnings('catalog', { ...base, groupId: 'catalog', stickiness: 'userId' })).toEqual([]);
  });

  test('a different groupId names both and the fix', () => {
    const [warning] = flagWarnings('catalog', { ...base, groupId: 'catalog-rollout', stickiness: 'default' });
    expect(warning).toMatch(/groupId is "catalog-rollout" but the route's group is "catalog"/);
  });

  test('random or another context field as stickiness', () => {
    expect(flagWarnings('g', { ...base, groupId: 'g', stickiness: 'random' })[0]).toMatch(/random/);
    expect(flagWarnings('g', { ...base, groupId: 'g', stickiness: 'sessionId' })[0]).toMatch(/sessionId/);
  });
});

describe("the backup of the last fetched flags", () => {
  test('round-trips, and a write never leaves a half file behind (temp file + rename)', async () => {
    const dir = path.join(tempDir('backup'), 'nested', 'data');
    const storage = new AtomicBackupStorage(dir);
    expect(await storage.get('strangler')).toBeUndefined();
    const data = { version: 2, features: [{ name: 'f', enabled: true, strategies: [] }] };
    await storage.set('strangler', data);
    expect(await storage.get('strangler')).toEqual(data);
    expect(fs.readdirSync(dir)).toEqual(['unleash-backup-strangler.json']);
  });

  test('a corrupt backup is an error that names the file, not a crash or a silent empty state', async () => {
    const dir = tempDir('backup');
    const storage = new AtomicBackupStorage(dir);
    fs.writeFileSync(storage.fileFor('strangler'), '{"version":2,"feat');
    await expect(storage.get('strangler')).rejects.toThrow(/unleash-backup-strangler\.json is not valid JSON/);
  });
});
