/** What the proxy knows of one Unleash flag: enabled, and its flexibleRollout percent. */
export interface FlagState {
  readonly enabled: boolean;
  readonly rolloutPercent: number;
  readonly fetchedAt: string;
}

/** Flags by name; a flag absent from the snapshot was never known, so the YAML percent applies. */
export type FlagSnapshot = ReadonlyMap<string, FlagState>;

export const NO_FLAGS: FlagSnapshot = new Map();

/** Where the proxy reads flag state from; swapped whole when a fetch brings news. */
export interface FlagSource {
  current(): FlagSnapshot;
  stop(): Promise<void>;
}

export const staticFlags = (snapshot: FlagSnapshot = NO_FLAGS): FlagSource => ({
  current: () => snapshot,
  stop: async () => undefined,
});
