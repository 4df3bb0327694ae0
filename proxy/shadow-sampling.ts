import { SHADOW_OUTCOMES, type TrafficWindows } from './observability/traffic-windows';

/** GET /status `routes[].shadow.lastMinute`: is the evidence being sampled down? */
export interface SamplingView {
  /** Sampled requests with an outcome in the last minute (dropped ones included). */
  readonly sampled: number;
  /** Of those, dropped: the shadow worker was past its capacity (too many in flight), not up, or the upstreams had shoppers waiting. */
  readonly dropped: number;
  /** The share of the route's requests actually mirrored: `percent` × (1 − dropped / sampled); the route's percent when nothing was sampled. */
  readonly effectivePercent: number;
}

const DROPPED = SHADOW_OUTCOMES.indexOf('dropped');

/**
 * A route's last minute of shadow outcomes, read from the live windows (/stats counts the same
 * outcomes there): how many sampled requests were dropped. Past the evidence pipeline's
 * capacity, mirrors are dropped (shoppers never wait for them), so the evidence is sampled down:
 * this says by how much, where a deployment looks first.
 */
export function lastMinuteSampling(windows: TrafficWindows | null, route: string, percent: number): SamplingView {
  const outcomes = windows === null ? [] : windows.raw(route, '1m').shadow;
  let sampled = 0;
  for (const n of outcomes) sampled += n;
  const dropped = outcomes[DROPPED] ?? 0;
  return { sampled, dropped, effectivePercent: effectivePercent(percent, sampled, dropped) };
}

export function effectivePercent(percent: number, sampled: number, dropped: number): number {
  return sampled === 0 ? percent : Math.round(percent * (1 - dropped / sampled) * 1000) / 1000;
}
