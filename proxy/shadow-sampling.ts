import type { ShadowOutcome } from '../shadow/outcomes';

const SLOT_MS = 10_000;
const SLOTS = 6;

/** GET /status `routes[].shadow.lastMinute`: is the evidence being sampled down? */
export interface SamplingView {
  /** Sampled requests with an outcome in the last minute (dropped ones included). */
  readonly sampled: number;
  /** Of those, dropped: the shadow worker was past its capacity (too many in flight), not up, or the upstreams had shoppers waiting. */
  readonly dropped: number;
  /** The share of the route's requests actually mirrored: `percent` × (1 − dropped / sampled); the route's percent when nothing was sampled. */
  readonly effectivePercent: number;
}

/**
 * Per route, the last minute's shadow outcomes in six 10-second slots: how many sampled requests
 * were dropped. Past the evidence pipeline's capacity, mirrors are dropped (shoppers never wait for
 * them), so the evidence is sampled down: this says by how much, where a deployment looks first.
 */
export class ShadowSampling {
  private readonly routes = new Map<string, { slot: number[]; sampled: number[]; dropped: number[] }>();

  constructor(private readonly now: () => number = Date.now) {}

  count(route: string, outcome: ShadowOutcome, n: number): void {
    let entry = this.routes.get(route);
    if (entry === undefined) {
      entry = { slot: new Array<number>(SLOTS).fill(-1), sampled: new Array<number>(SLOTS).fill(0), dropped: new Array<number>(SLOTS).fill(0) };
      this.routes.set(route, entry);
    }
    const slot = Math.floor(this.now() / SLOT_MS);
    const i = slot % SLOTS;
    if (entry.slot[i] !== slot) { entry.slot[i] = slot; entry.sampled[i] = 0; entry.dropped[i] = 0; }
    entry.sampled[i] += n;
    if (outcome === 'dropped') entry.dropped[i] += n;
  }

  view(route: string, percent: number): SamplingView {
    const entry = this.routes.get(route);
    const oldest = Math.floor(this.now() / SLOT_MS) - SLOTS + 1;
    let sampled = 0;
    let dropped = 0;
    if (entry !== undefined) {
      for (let i = 0; i < SLOTS; i++) {
        if (entry.slot[i] < oldest) continue;
        sampled += entry.sampled[i];
        dropped += entry.dropped[i];
      }
    }
    return { sampled, dropped, effectivePercent: effectivePercent(percent, sampled, dropped) };
  }
}

export function effectivePercent(percent: number, sampled: number, dropped: number): number {
  return sampled === 0 ? percent : Math.round(percent * (1 - dropped / sampled) * 1000) / 1000;
}
