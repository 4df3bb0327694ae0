import { dependencyCeiling, type Dependency } from './flag-dependencies';
import type { FlagState } from './flag-state';

/** The parts of an Unleash feature definition (client API) the proxy reads. */
export interface FeatureDefinition {
  readonly name: string;
  readonly enabled: boolean;
  readonly strategies?: ReadonlyArray<{
    readonly name: string;
    readonly parameters?: Readonly<Record<string, unknown>>;
    readonly constraints?: readonly unknown[];
    readonly segments?: readonly unknown[];
    readonly disabled?: boolean;
  }>;
  /** Parent flags this one depends on (Unleash dependent features). */
  readonly dependencies?: readonly Dependency[];
}

/** Another flag of the same fetch, by name; a child's parents are read through it. */
export type FeatureLookup = (name: string) => FeatureDefinition | undefined;

function percentOf(raw: unknown): number | null {
  const value = Number(raw);
  if (raw === undefined || raw === null || raw === '' || !Number.isFinite(value)) return null;
  return Math.min(100, Math.max(0, Math.round(value)));
}

/**
 * An Unleash feature as the proxy's flag state, or null when the flag cannot be read (then the
 * route keeps its YAML percent). Which shoppers it picks is unleash-client's own evaluation with
 * each request's context; the percent here is what /status and `strangler_route_percent` show:
 * - a disabled flag is off for everyone: 0%;
 * - an enabled flag with no (active) strategies, or with an unconstrained `default` strategy, is on
 *   for everyone: 100%;
 * - otherwise the first active flexibleRollout gives the percent (its groupId falls back to the
 *   flag's name: the proxy passes the name as `featureToggle`, where unleash-client looks for it);
 *   a flag with only other strategies (userWithId, a constrained default, …) shows 100%, the most
 *   its strategies can give, with a note;
 * - a flag with parents shows at most what its parents allow (0% under a disabled parent).
 */
export function featureToFlagState(feature: FeatureDefinition, lookup: FeatureLookup = () => undefined): FlagState | null {
  const own = ownState(feature);
  if (own === null || !own.enabled || (feature.dependencies ?? []).length === 0) return own;
  const ceiling = dependencyCeiling(feature.dependencies!, (name) => {
    const parent = lookup(name);
    return parent === undefined ? undefined : { hasParents: (parent.dependencies ?? []).length > 0, state: ownState(parent) };
  });
  // The SDK evaluates the parents for each request before the flag's own strategies: never the
  // shortcut, whatever the flag's own strategies are.
  return { ...own, rolloutPercent: Math.min(own.rolloutPercent, ceiling.percent), notes: [...own.notes, ...ceiling.notes], byPercentAlone: false };
}

/** The flag by its own strategies, parents aside. */
function ownState(feature: FeatureDefinition): FlagState | null {
  // unleash-client evaluates every strategy it is given, `disabled` or not, and a flag whose
  // strategies are not a list is off: the shortcut is taken only when neither can happen.
  const listed = Array.isArray(feature.strategies);
  const all = feature.strategies ?? [];
  const plain = listed && all.every((s) => s.disabled !== true);
  const active = all.filter((s) => s.disabled !== true);
  if (!feature.enabled) return { enabled: false, rolloutPercent: 0, groupId: null, stickiness: null, notes: [], byPercentAlone: true };
  if (active.length === 0) return { enabled: true, rolloutPercent: 100, groupId: null, stickiness: null, notes: ['no strategies: on for everyone'], byPercentAlone: plain };
  const notes: string[] = [];
  const scoped = active.filter((s) => (s.constraints ?? []).length > 0 || (s.segments ?? []).length > 0);
  if (scoped.length > 0) notes.push('constraints or segments narrow who is picked; the percent is the share within them');
  if (active.some((s) => s.name === 'default' && (s.constraints ?? []).length === 0 && (s.segments ?? []).length === 0)) {
    return { enabled: true, rolloutPercent: 100, groupId: null, stickiness: null, notes: [...notes, 'a default strategy: on for everyone'], byPercentAlone: plain };
  }
  const rollout = active.find((s) => s.name === 'flexibleRollout');
  if (rollout === undefined) {
    const names = [...new Set(active.map((s) => s.name))].join(', ');
    return { enabled: true, rolloutPercent: 100, groupId: null, stickiness: null, notes: [...notes, `strategies ${names}: who is picked depends on the request, up to everyone`] };
  }
  const parameters = rollout.parameters ?? {};
  const percent = percentOf(parameters.rollout);
  if (percent === null) return null;
  const others = active.filter((s) => s !== rollout).map((s) => s.name);
  if (others.length > 0) notes.push(`further strategies also pick shoppers (any one picking is enough): ${others.join(', ')}`);
  const groupId = typeof parameters.groupId === 'string' && parameters.groupId !== '' ? parameters.groupId : feature.name;
  const stickiness = typeof parameters.stickiness === 'string' && parameters.stickiness !== '' ? parameters.stickiness : 'default';
  // The SDK compares the bucket with the raw number: 33.5 is not the shown (rounded) 34.
  const exact = Number.isInteger(Number(parameters.rollout));
  const byPercentAlone = plain && exact && active.length === 1 && scoped.length === 0 && (stickiness === 'default' || stickiness === 'userId');
  return { enabled: true, rolloutPercent: percent, groupId, stickiness, notes, byPercentAlone };
}

/**
 * Why Unleash SDKs evaluating this flag would pick other shoppers than the proxy does for a route
 * in `group`: the proxy hashes "<route group>:<identity>", the SDKs "<groupId>:<stickiness value>".
 */
export function flagWarnings(group: string, state: FlagState): string[] {
  const warnings: string[] = [];
  if (state.groupId !== null && state.groupId !== group) {
    warnings.push(`the flag's groupId is "${state.groupId}" but the route's group is "${group}": Unleash SDKs will pick other shoppers than the proxy; set the strategy's groupId to "${group}"`);
  }
  if (state.stickiness === 'random') {
    warnings.push('the flag\'s stickiness is "random": Unleash SDKs pick shoppers at random on each call, the proxy keeps each shopper on one side; use stickiness "default" or "userId"');
  } else if (state.stickiness !== null && state.stickiness !== 'default' && state.stickiness !== 'userId') {
    warnings.push(`the flag's stickiness is "${state.stickiness}": Unleash SDKs hash that context field, the proxy hashes the route's sticky_by identity; they agree only if your apps pass that identity as ${state.stickiness}; use stickiness "default" or "userId"`);
  }
  return [...warnings, ...state.notes.filter((n) => !n.startsWith('no strategies') && !n.startsWith('a default strategy'))];
}
