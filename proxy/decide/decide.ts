import type { IncomingHttpHeaders } from 'node:http';
import type { FlagSnapshot } from '../flags/flag-state';
import type { CompiledRoute, CompiledRules } from '../rules/types';
import { bucketOf, inRollout } from './bucket';
import { identityOf } from './identity';
import { authorisedOverride } from './override';

export type Side = 'legacy' | 'extracted';
export type DecisionReason = 'override' | 'killed' | 'flag' | 'percent' | 'unmatched';
export type PercentSource = 'yaml' | 'flag' | 'killed' | 'default';

export interface RequestFacts {
  readonly method: string;
  /** The raw pathname, exactly as it will be forwarded. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
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
}

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

const UNMATCHED_BASE = { route: null, side: 'legacy' as const, bucket: null, reason: 'unmatched' as const, percent: 0, percentSource: 'default' as const };

/**
 * Which side serves this request. A pure function of (rules, request facts, flag state) plus the
 * id maker: no I/O, no clock, no Math.random, so it is identical on every proxy replica.
 * Precedence: authorised override > killed > Unleash flag > YAML percent.
 */
export function decide(rules: CompiledRules, facts: RequestFacts, flags: FlagSnapshot, inputs: DecideInputs): Decision {
  const route = rules.match(facts.method, facts.path);
  const found = identityOf(route ? route.stickyBy : rules.defaults.stickyBy, facts.headers);
  const identity = found !== null ? found.value : inputs.newAnonymousId();
  const newIdentity = found === null;
  if (route === null) return { ...UNMATCHED_BASE, identity, newIdentity };

  const { percent, source } = effectivePercent(route, flags);
  const bucket = bucketOf(route.group, identity);
  const override = authorisedOverride(facts.headers, inputs.overrideDigest);
  if (override !== null) return { route, side: override, bucket, reason: 'override', percent, percentSource: source, identity, newIdentity };
  if (source === 'killed') return { route, side: 'legacy', bucket, reason: 'killed', percent, percentSource: source, identity, newIdentity };
  const side = inRollout(bucket, percent) ? 'extracted' : 'legacy';
  return { route, side, bucket, reason: source === 'flag' ? 'flag' : 'percent', percent, percentSource: source, identity, newIdentity };
}
