import { genericPath } from './compare/paths';
import { afterRead, DEFAULT_PROBE_POLICY, probeRate, shouldProbe, startProbing, underRules, type ProbePolicy, type ProbeState } from './noise-probe';

/** A route's noise picture as /status shows it: which fields are known noise and how they were learned. */
export interface NoisePicture {
  readonly route: string;
  /** `learning`: every read asks legacy twice; `settled`: one in `1 / probeRate`. */
  readonly phase: 'learning' | 'settled';
  readonly probeRate: number;
  /** Since when (ISO): the first read, or the last rules reload. */
  readonly since: string;
  readonly settledAt: string | null;
  /** Reads compared and probes taken since `since`. */
  readonly reads: number;
  readonly probes: number;
  readonly known: ReadonlyArray<{ readonly path: string; readonly seen: number; readonly firstAt: string }>;
}

/**
 * Each route's noise probe state (noise-probe.ts), kept by the Mirror that asks. `random` and
 * `now` are injected for tests.
 */
export class NoiseProbes {
  private readonly states = new Map<string, ProbeState>();

  constructor(private readonly policy: ProbePolicy = DEFAULT_PROBE_POLICY, private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now) {}

  /** Whether this read of `route`, under the rules `rules` (their hash; null: unknown), asks legacy twice. */
  take(route: string, rules: string | null): boolean {
    const at = this.now();
    const state = underRules(this.states.get(route) ?? startProbing(at, rules), rules, at);
    this.states.set(route, state);
    return shouldProbe(state, this.random(), this.policy);
  }

  /** One read compared: `legacyDiffers`, where legacy's two answers differed, or null when not probed. */
  record(route: string, legacyDiffers: readonly string[] | null): void {
    const state = this.states.get(route);
    if (!state) return;
    this.states.set(route, afterRead(state, legacyDiffers === null ? null : legacyDiffers.map(genericPath), this.now(), this.policy));
  }

  /** The generic fields the route's probes have seen noisy: what stands in for a second answer. */
  known(route: string): string[] {
    return (this.states.get(route)?.known ?? []).map((k) => k.field);
  }

  pictures(): NoisePicture[] {
    return [...this.states].map(([route, s]) => ({
      route, phase: s.phase, probeRate: probeRate(s, this.policy), since: iso(s.since), settledAt: s.settledAt === null ? null : iso(s.settledAt),
      reads: s.reads, probes: s.probes, known: s.known.map((k) => ({ path: k.field, seen: k.seen, firstAt: iso(k.firstAt) })),
    }));
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The pictures of one route from several processes (a cluster's /status): each process probes on
 * its own, so reads and probes add up, a field is known when any process knows it, the route is
 * learning while any process is, and the rate shown is the highest (a learning process asks twice on every read).
 */
export function mergeNoisePictures(parts: ReadonlyArray<NoisePicture | null | undefined>): NoisePicture | null {
  const pictures = parts.filter((p): p is NoisePicture => p != null);
  if (pictures.length === 0) return null;
  const known = new Map<string, { path: string; seen: number; firstAt: string }>();
  for (const p of pictures) {
    for (const k of p.known) {
      const had = known.get(k.path);
      known.set(k.path, had ? { path: k.path, seen: had.seen + k.seen, firstAt: had.firstAt < k.firstAt ? had.firstAt : k.firstAt } : { ...k });
    }
  }
  const learning = pictures.some((p) => p.phase === 'learning');
  return {
    route: pictures[0].route, phase: learning ? 'learning' : 'settled', probeRate: Math.max(...pictures.map((p) => p.probeRate)),
    since: pictures.map((p) => p.since).sort()[0], settledAt: learning ? null : pictures.map((p) => p.settledAt!).sort().at(-1)!,
    reads: pictures.reduce((n, p) => n + p.reads, 0), probes: pictures.reduce((n, p) => n + p.probes, 0), known: [...known.values()],
  };
}
