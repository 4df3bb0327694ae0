/**
 * When a mirrored read asks legacy a second time (the noise probe). Diffy asks twice on every
 * request; that doubles the mirror load on the monolith, the side that is already the bottleneck.
 * Here a route probes every read while its noise picture is new (after a start or a rules reload,
 * or when a probe has just shown a field never seen noisy before); once `settleAfter` probes in a
 * row have shown nothing new, it probes one read in `recheckEvery` to re-check. Reads compared
 * without a probe are judged with the fields the probes have learned, and over a window by rates
 * with their own denominators (window-verdict.ts).
 *
 * Pure: state in, decision or new state out; the time and the random draw are passed in.
 */

export interface ProbePolicy {
  /** Probes in a row that show no new noisy field before the picture counts as settled. */
  readonly settleAfter: number;
  /** Once settled, one read in this many is probed (drawn at random, so no cycle in the traffic aliases with it). */
  readonly recheckEvery: number;
  /** Noisy fields remembered per route, so a pathological route cannot grow the picture without bound. */
  readonly maxFields: number;
}

export const DEFAULT_PROBE_POLICY: ProbePolicy = Object.freeze({ settleAfter: 20, recheckEvery: 10, maxFields: 256 });

/** One field legacy has disagreed with itself on, as the probes saw it. */
export interface KnownField {
  /** Generic path (window-noise.ts): `body.items[].renderId`. */
  readonly field: string;
  /** Probes that saw legacy's two answers differ there. */
  readonly seen: number;
  readonly firstAt: number;
}

export interface ProbeState {
  /** The rules (table hash) the picture was learned under; null: not known (replay). */
  readonly rules: string | null;
  /** When the learning started: the first read, or the last rules reload. */
  readonly since: number;
  readonly phase: 'learning' | 'settled';
  /** When the picture last settled; null while learning. */
  readonly settledAt: number | null;
  /** Probes in a row that showed no new field. */
  readonly quiet: number;
  /** Reads mirrored and probes taken since `since` (a probe whose asks failed is counted in neither). */
  readonly reads: number;
  readonly probes: number;
  /** First seen first. */
  readonly known: readonly KnownField[];
}

export function startProbing(at: number, rules: string | null): ProbeState {
  return { rules, since: at, phase: 'learning', settledAt: null, quiet: 0, reads: 0, probes: 0, known: [] };
}

/** The picture learned under other rules is dropped: probing starts again on every read. */
export function underRules(state: ProbeState, rules: string | null, at: number): ProbeState {
  return rules === null || rules === state.rules ? state : startProbing(at, rules);
}

/** The share of reads probed now: 1 while learning. */
export function probeRate(state: ProbeState, policy: ProbePolicy = DEFAULT_PROBE_POLICY): number {
  return state.phase === 'learning' ? 1 : 1 / policy.recheckEvery;
}

/** Whether this read asks legacy twice; `random` is a draw in [0, 1). */
export function shouldProbe(state: ProbeState, random: number, policy: ProbePolicy = DEFAULT_PROBE_POLICY): boolean {
  return random < probeRate(state, policy);
}

/**
 * The state after one read was compared. `noisy`: the generic fields legacy's two answers differed
 * at, or null when the read was not probed.
 */
export function afterRead(state: ProbeState, noisy: readonly string[] | null, at: number, policy: ProbePolicy = DEFAULT_PROBE_POLICY): ProbeState {
  if (noisy === null) return { ...state, reads: state.reads + 1 };
  const fields = new Set(noisy);
  let known = state.known;
  let fresh = false;
  if (fields.size > 0) {
    const had = new Set(known.map((k) => k.field));
    const next = known.map((k) => (fields.has(k.field) ? { ...k, seen: k.seen + 1 } : k));
    for (const field of fields) {
      if (had.has(field) || next.length >= policy.maxFields) continue;
      next.push({ field, seen: 1, firstAt: at });
      fresh = true;
    }
    known = next;
  }
  const quiet = fresh ? 0 : state.quiet + 1;
  // A new field means the picture was not complete: back to probing every read until it is quiet again.
  const phase = quiet >= policy.settleAfter ? 'settled' : 'learning';
  const settledAt = phase === 'learning' ? null : state.phase === 'settled' ? state.settledAt : at;
  return { ...state, phase, settledAt, quiet, reads: state.reads + 1, probes: state.probes + 1, known };
}
