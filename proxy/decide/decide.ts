import type { IncomingHttpHeaders } from 'node:http';
import type { BreakerGate } from '../breaker/route-breaker';
import type { FlagContext, FlagSnapshot, FlagState } from '../flags/flag-state';
import type { CompiledRoute, CompiledRules } from '../rules/types';
import { bucketOf, inRollout } from './bucket';
import { identityOf, sourceValue } from './identity';
import { authorisedOverride } from './override';

export type Side = 'legacy' | 'extracted';
export type DecisionReason = 'override' | 'killed' | 'breaker' | 'flag' | 'percent' | 'unmatched';
export type PercentSource = 'yaml' | 'flag' | 'killed' | 'default';

export interface RequestFacts {
  readonly method: string;
  /** The raw pathname, exactly as it will be forwarded. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The client's socket address (Unleash's remoteAddress); absent in tests that do not need it. */
  readonly remoteAddress?: string;
}

export interface Decision {
  readonly route: CompiledRoute | null;
  readonly side: Side;
  readonly bucket: number | null;
  readonly reason: DecisionReason;
  readonly percent: number;
  readonly percentSource: PercentSource;
  readonly identity: string | null;
  /** True when the identity was made for this request: the response must set the cookie. */
  readonly newIdentity: boolean;
  /** True when this request is one of a half-open breaker's trial requests to extracted. */
  readonly probe: boolean;
}

/** The breaker's say for a route, read by the caller at the edge (each route's state is an input, like the flag state). */
export type BreakerGates = (route: CompiledRoute) => BreakerGate;

export const NO_BREAKERS: BreakerGates = () => 'closed';

export interface DecideInputs {
  readonly overrideDigest: Buffer | null;
  /** Makes a fresh anonymous id; randomness lives at the edge, so tests pass a fixed one. */
  readonly newAnonymousId: () => string;
}

/** The percent in force for a route and where it came from: killed > flag (when known) > YAML. */
export function effectivePercent(route: CompiledRoute, flags: FlagSnapshot): { percent: number; source: PercentSource } {
  if (route.killed) return { percent: 0, source: 'killed' };
  if (route.flag !== null) {
    const flag = flags.get(route.flag);
    if (flag !== undefined) return { percent: flag.enabled ? flag.rolloutPercent : 0, source: 'flag' };
  }
  return { percent: route.percent, source: route.percentSource };
}

const UNMATCHED_BASE = { route: null, side: 'legacy' as const, bucket: null, reason: 'unmatched' as const, percent: 0, percentSource: 'default' as const, probe: false };

/**
 * Which side serves this request. A pure function of (rules, request facts, flag state, breaker
 * state) plus the id maker: no I/O, no clock, no Math.random, so replicas that agree on the inputs
 * agree on the answer. Precedence: authorised override > killed > open breaker > Unleash flag > YAML percent.
 * An open breaker only moves shoppers that the percent would send to extracted.
 */
export function decide(rules: CompiledRules, facts: RequestFacts, flags: FlagSnapshot, inputs: DecideInputs, breakers: BreakerGates = NO_BREAKERS): Decision {
  const route = rules.match(facts.method, facts.path, facts.headers);
  const found = identityOf(route ? route.stickyBy : rules.defaults.stickyBy, facts.headers);
  const identity = found !== null ? found.value : inputs.newAnonymousId();
  const newIdentity = found === null;
  if (route === null) return { ...UNMATCHED_BASE, identity, newIdentity };

  const { percent, source } = effectivePercent(route, flags);
  const bucket = bucketOf(route.group, identity);
  const override = authorisedOverride(facts.headers, inputs.overrideDigest);
  if (override !== null) return { route, side: override, bucket, reason: 'override', percent, percentSource: source, identity, newIdentity, probe: false };
  if (source === 'killed') return { route, side: 'legacy', bucket, reason: 'killed', percent, percentSource: source, identity, newIdentity, probe: false };
  const reason = source === 'flag' ? 'flag' : 'percent';
  const chosen = source === 'flag' ? flagChooses(flags.get(route.flag!)!, route, facts, identity, bucket, percent) : inRollout(bucket, percent);
  if (!chosen) return { route, side: 'legacy', bucket, reason, percent, percentSource: source, identity, newIdentity, probe: false };
  const gate = route.breaker === null ? 'closed' : breakers(route);
  if (gate === 'open') return { route, side: 'legacy', bucket, reason: 'breaker', percent, percentSource: source, identity, newIdentity, probe: false };
  return { route, side: 'extracted', bucket, reason, percent, percentSource: source, identity, newIdentity, probe: gate === 'probing' };
}

/**
 * The side `decide` gives `identity` on `route` for these request facts, without a tester's
 * override: the conversion guard recomputes it at the goal request for each guarded route, so the
 * proxy needs no memory of which side a shopper was on (DESIGN "Conversion guard").
 */
export function sideOf(route: CompiledRoute, facts: RequestFacts, flags: FlagSnapshot, identity: string, breakers: BreakerGates = NO_BREAKERS): Side {
  const { percent, source } = effectivePercent(route, flags);
  if (source === 'killed') return 'legacy';
  const bucket = bucketOf(route.group, identity);
  const chosen = source === 'flag' ? flagChooses(flags.get(route.flag!)!, route, facts, identity, bucket, percent) : inRollout(bucket, percent);
  if (!chosen) return 'legacy';
  return route.breaker !== null && breakers(route) === 'open' ? 'legacy' : 'extracted';
}

/**
 * Whether a known flag sends this shopper to extracted: Unleash's own evaluation with the request's
 * context when the state came from an SDK (strategies, constraints and segments apply as Unleash
 * defines them), else the flag's percent by the route's bucket.
 */
function flagChooses(flag: FlagState, route: CompiledRoute, facts: RequestFacts, identity: string, bucket: number, percent: number): boolean {
  if (flag.isEnabled === undefined) return inRollout(bucket, percent);
  // Unleash's answer without asking it: the route's bucket is the SDK's normalised value here
  // (byPercentAlone says when that holds; see FlagState).
  if (flag.byPercentAlone === true && (flag.groupId === null || flag.groupId === route.group)) return inRollout(bucket, percent);
  return flag.isEnabled(flagContext(route, facts, identity));
}

/** userId = identity, remoteAddress = the socket's, sessionId and properties from the route's `context` sources. */
export function flagContext(route: CompiledRoute, facts: RequestFacts, identity: string): FlagContext {
  const properties: Record<string, string> = {};
  let sessionId: string | undefined;
  for (const { field, sources } of route.context) {
    let value: string | null = null;
    for (let i = 0; i < sources.length && value === null; i++) value = sourceValue(sources[i], facts.headers);
    if (value === null) continue;
    if (field === 'sessionId') sessionId = value;
    else properties[field] = value;
  }
  return { userId: identity, remoteAddress: facts.remoteAddress, sessionId, properties };
}
