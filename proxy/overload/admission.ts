import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
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
/** How often the event loop's own delay is read and handed to every gate as latency slack. */
const SLACK_EVERY_MS = 100;
/** Slack never below this: a few milliseconds of latency on a fast upstream (a busy machine, a full socket buffer) is not an upstream queue. */
const MIN_SLACK_MS = 5;
/** The delay monitor's sampling period: its readings include it, so it is taken off. */
const LOOP_RESOLUTION_MS = 5;

export class Admission {
  private readonly gates = new Map<string, UpstreamGate>();
  private loopDelay: IntervalHistogram | null = null;
  private slackTimer: NodeJS.Timeout | null = null;

  constructor(private readonly events: AdmissionEvents, private readonly clock: () => number = () => performance.now()) {}

  /**
   * Measures this process's event-loop delay (a native histogram, nothing per request) and gives
   * each gate its mean as slack every 100 ms: the part of a measured latency that is the proxy's
   * own lag, not the upstream's queue.
   */
  private watchLoop(): void {
    this.loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    this.loopDelay.enable();
    this.slackTimer = setInterval(() => {
      const histogram = this.loopDelay!;
      const meanMs = histogram.count > 0 ? histogram.mean / 1e6 - LOOP_RESOLUTION_MS : 0;
      histogram.reset();
      const slack = Math.max(MIN_SLACK_MS, Number.isFinite(meanMs) ? meanMs : 0);
      for (const gate of this.gates.values()) gate.limiter.slackMs = slack;
    }, SLACK_EVERY_MS).unref();
  }

  gate(upstream: Upstream): UpstreamGate {
    let gate = this.gates.get(upstream.url);
    if (gate === undefined) {
      const url = upstream.url;
      const events: GateEvents = {
        shed: (priority, reason, waitedMs) => this.events.shed(url, priority, reason, waitedMs),
        admitted: (priority, waitedMs) => this.events.admitted(url, priority, waitedMs),
      };
      gate = new UpstreamGate(this.clock(), this.clock, events);
      gate.limiter.slackMs = MIN_SLACK_MS;
      this.gates.set(url, gate);
      if (this.loopDelay === null) this.watchLoop();
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
    if (this.slackTimer !== null) clearInterval(this.slackTimer);
    this.loopDelay?.disable();
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
