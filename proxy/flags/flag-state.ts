/**
 * What the proxy knows of one Unleash flag: enabled, and its flexibleRollout percent, plus the
 * strategy's groupId and stickiness so /status can say when Unleash SDKs would pick other shoppers.
 */
export interface FlagState {
  readonly enabled: boolean;
  readonly rolloutPercent: number;
  /** The flexibleRollout's groupId, or null when the percent did not come from a flexibleRollout. */
  readonly groupId: string | null;
  readonly stickiness: string | null;
  /** Facts about the flag worth saying in /status (constraints, other strategies), said plainly. */
  readonly notes: readonly string[];
  /**
   * Unleash's own evaluation of the flag for one request's context (unleash-client's isEnabled).
   * Absent when the state does not come from an Unleash SDK (tests, a static table): then the
   * percent decides by the route's bucket.
   */
  readonly isEnabled?: (context: FlagContext) => boolean;
  /**
   * True when the percent alone picks the shoppers, as unleash-client would for any context the
   * proxy builds (userId is always set): the flag is disabled; or it has no parents, no strategy
   * marked disabled, and either no strategy, an unconstrained default, or one unconstrained
   * flexibleRollout with an integer rollout and stickiness default/userId. Then, with the
   * strategy's groupId (the flag's name when it has none) equal to the route's group, the route's
   * own bucket gives Unleash's answer (the same murmur3 normalisation) without evaluating the flag
   * per request. The client specification's cases check this, shortcut on and off
   * (proxy/test/unleash-spec/).
   */
  readonly byPercentAlone?: boolean;
}

/** The Unleash context of one request, as the proxy builds it. */
export interface FlagContext {
  /** The route's sticky_by identity. */
  readonly userId: string;
  readonly remoteAddress?: string;
  readonly sessionId?: string;
  /** The route's (and defaults') `context` fields found on the request; unmapped fields are absent. */
  readonly properties: Readonly<Record<string, string>>;
}

/** Flags by name; a flag absent from the snapshot was never known, so the YAML percent applies. */
export type FlagSnapshot = ReadonlyMap<string, FlagState>;

export const NO_FLAGS: FlagSnapshot = new Map();

/** How the flag source is doing, for /status. */
export interface FlagSourceInfo {
  readonly configured: boolean;
  readonly [key: string]: unknown;
}

/** Where the proxy reads flag state from; the snapshot is swapped whole when a fetch brings news. */
export interface FlagSource {
  current(): FlagSnapshot;
  info(): FlagSourceInfo;
  stop(): Promise<void>;
}

export const staticFlags = (snapshot: FlagSnapshot = NO_FLAGS): FlagSource => ({
  current: () => snapshot,
  info: () => ({ configured: false }),
  stop: async () => undefined,
});
