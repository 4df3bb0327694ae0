import { performance } from 'node:perf_hooks';
import type { Upstream } from '../rules/types';
import { UpstreamGate, type GateEvents, type ShedReason } from './upstream-gate';
import { PRIORITIES, type Priority } from './waiting-line';

/** GET /status `upstreams[]`'s overload part, per upstream origin. */
export interface GateView { readonly limit: number; readonly inFlight: number; readonly queued: number; readonly mirrors: number; readonly minRttMs: number }

export interface AdmissionEvents {
  shed(upstream: string, priority: Priority, reason: ShedReason, waitedMs: number): void;
  admitted(upstream: string, priority: Priority, waitedMs: number): void;
}

/**
 * One UpstreamGate per upstream origin (as the connection pools are: two names for one origin
 * share a gate), kept across rule reloads so what was learned of an upstream survives them.
 */
export class Admission {
  private readonly gates = new Map<string, UpstreamGate>();

  constructor(private readonly events: AdmissionEvents, private readonly clock: () => number = () => performance.now()) {}

  gate(upstream: Upstream): UpstreamGate {
    let gate = this.gates.get(upstream.url);
    if (gate === undefined) {
      const url = upstream.url;
      const events: GateEvents = {
        shed: (priority, reason, waitedMs) => this.events.shed(url, priority, reason, waitedMs),
        admitted: (priority, waitedMs) => this.events.admitted(url, priority, waitedMs),
      };
      gate = new UpstreamGate(this.clock(), this.clock, events);
      this.gates.set(url, gate);
    }
    return gate;
  }

  now(): number {
    return this.clock();
  }

  /** Per upstream origin: the learned limit, requests in flight and waiting. */
  view(): Map<string, GateView> {
    const out = new Map<string, GateView>();
    for (const [url, gate] of this.gates) out.set(url, { limit: gate.limit, inFlight: gate.inFlight, queued: gate.queued, mirrors: gate.mirrors, minRttMs: Math.round(gate.limiter.minRtt * 10) / 10 });
    return out;
  }

  close(): void {
    for (const gate of this.gates.values()) gate.close();
  }
}

export const priorityName = (p: Priority): string => PRIORITIES[p];

/**
 * Counts a mirror on each upstream it will ask, or null (and nothing counted) when any of them has
 * a shopper waiting or is at its limit: mirrors yield first. The function returned uncounts, once.
 */
export function mirrorSlots(admission: Admission, upstreams: readonly Upstream[]): (() => void) | null {
  const gates: UpstreamGate[] = [];
  for (const upstream of upstreams) {
    const gate = admission.gate(upstream);
    if (!gate.tryEnterMirror()) {
      for (const held of gates) held.leaveMirror();
      return null;
    }
    gates.push(gate);
  }
  let freed = false;
  return () => {
    if (freed) return;
    freed = true;
    for (const gate of gates) gate.leaveMirror();
  };
}
