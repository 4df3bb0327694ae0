/**
 * The report's account of how a route's noise was learned: legacy is asked twice on a sample of
 * the reads only (shadow/noise-probe.ts), so a reader sees which fields the window calls noise and
 * on how many probes that rests. Kept apart from the report's other sections.
 */
import type { RouteWindow } from '../store/route-window';

export interface NoiseLearning {
  /** Reads compared in the window, and those probed (legacy asked twice). */
  readsCompared: number;
  probed: number;
  /** probed / readsCompared over the window; null with no read compared. */
  probeRate: number | null;
  /** The same over the window's last hour with a read: the rate the probe runs at now. */
  probeRateNow: number | null;
  /** The window's first and last probe (ISO); null: none. */
  firstProbe: string | null;
  lastProbe: string | null;
  /** Fields the window judges to be noise (window-noise.ts), most often noisy first. */
  knownNoise: string[];
}

export function noiseLearning(window: RouteWindow): NoiseLearning {
  const last = [...window.hourly].reverse().find((h) => h.reads > 0);
  return {
    readsCompared: window.readsCompared, probed: window.noiseRequests,
    probeRate: window.readsCompared === 0 ? null : window.noiseRequests / window.readsCompared,
    probeRateNow: last ? last.probed / last.reads : null,
    firstProbe: window.probedFrom === null ? null : new Date(window.probedFrom).toISOString(),
    lastProbe: window.probedTo === null ? null : new Date(window.probedTo).toISOString(),
    knownNoise: window.noiseFields.filter((f) => f.noise).map((f) => f.field),
  };
}

const pct = (rate: number | null): string => (rate === null ? 'n/a' : `${(rate * 100).toFixed(1)}%`);

/** One line, plain text (the Markdown and HTML renderers quote the field names their own way). */
export function noiseLearningLine(n: NoiseLearning, quote: (field: string) => string): string {
  const known = n.knownNoise.length === 0 ? 'no field known as noise' : `known noise: ${n.knownNoise.map(quote).join(', ')}`;
  const since = n.firstProbe === null ? '' : `, since ${n.firstProbe}`;
  return `Noise probe: ${known}; learned from ${n.probed} of ${n.readsCompared} reads asked of legacy twice (${pct(n.probeRate)}; last hour ${pct(n.probeRateNow)})${since}.`;
}
