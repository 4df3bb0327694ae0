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
  /** Parts of the flag the proxy cannot apply (constraints, other strategies), said plainly. */
  readonly notes: readonly string[];
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
