/**
 * Unleash's client specification through the proxy: for every enabled case whose context a request
 * can carry, the proxy's pure decision sends the shopper to extracted exactly when the specification
 * says the flag is on, with the bucket shortcut taken where the flag state allows it and with every
 * request evaluated by unleash-client. Flag state comes from the proxy's own UnleashFlagSource,
 * fetched from a loopback stand-in for Unleash's client API serving each file's `state`.
 */
import { decide } from '../../decide/decide';
import type { FlagSnapshot } from '../../flags/flag-state';
import { loadRules } from '../../rules/load';
import type { CompiledRules } from '../../rules/types';
import { loadSpecFiles } from './spec-cases';
import { fetchedFlags, serveClientFeatures, SPEC_APP_NAME } from './serve-features';

const files = loadSpecFiles(SPEC_APP_NAME);
const runnable = files.flatMap((f) => f.runnable.map((r) => ({ ...r, file: f.file })));
const skipped = files.flatMap((f) => f.skipped);
const total = runnable.length + skipped.length;

const rules = new Map<string, CompiledRules>();
const flags = new Map<string, FlagSnapshot>();
const stops: Array<() => Promise<void>> = [];
let closeServer: () => Promise<void> = async () => undefined;

beforeAll(async () => {
  const server = await serveClientFeatures(new Map(files.map((f) => [f.file, f.state])));
  closeServer = server.close;
  for (const f of files) {
    const loaded = loadRules(f.rules, f.file);
    if (!loaded.ok) throw new Error(`${f.file}: ${JSON.stringify(loaded.errors)}`);
    rules.set(f.file, loaded.rules);
    const source = await fetchedFlags(server.apiUrl(f.file));
    stops.push(source.stop);
    flags.set(f.file, source.snapshot);
  }
}, 60_000);

afterAll(async () => {
  for (const stop of stops) await stop();
  await closeServer();
});

/** The same snapshot with the shortcut refused: every request is evaluated by unleash-client. */
const withoutShortcut = (snapshot: FlagSnapshot): FlagSnapshot => new Map([...snapshot].map(([name, state]) => [name, { ...state, byPercentAlone: false }]));

function sideOf(file: string, facts: (typeof runnable)[number]['facts'], snapshot: FlagSnapshot): string {
  return decide(rules.get(file)!, facts, snapshot, { overrideDigest: null, newAnonymousId: () => 'anonymous-shopper' }).side;
}

test(`${runnable.length} of the specification's ${total} enabled cases can be carried by a request and run (${skipped.length} skipped, listed below)`, () => {
  expect(runnable.length).toBeGreaterThanOrEqual(180);
  expect(runnable.length + skipped.length).toBe(total);
});

test('the shortcut is really taken: many runnable cases have a flag decided by the bucket alone', () => {
  const shortcut = runnable.filter(({ file, case: c }) => {
    const state = flags.get(file)!.get(c.toggleName);
    const route = rules.get(file)!.routes.find((r) => r.flag === c.toggleName)!;
    return state?.byPercentAlone === true && (state.groupId === null || state.groupId === route.group);
  });
  expect(shortcut.length).toBeGreaterThanOrEqual(20);
});

describe.each([
  ['shortcut on', (s: FlagSnapshot) => s],
  ['shortcut off', withoutShortcut],
])('%s', (_label, prepare) => {
  test.each(runnable.map((r) => [r.name, r] as const))('%s', (_name, { file, case: c, facts }) => {
    expect(sideOf(file, facts, prepare(flags.get(file)!))).toBe(c.expectedResult ? 'extracted' : 'legacy');
  });
});

describe('cases no request can carry', () => {
  test.skip.each(skipped.map((s) => [s.name, s.reason] as const))('%s — %s', () => undefined);
});
