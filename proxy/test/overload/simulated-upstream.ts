import { GradientLimit, GRADIENT_DEFAULTS, type GradientLimitOptions } from '../../overload/gradient-limit';

/**
 * A discrete-event simulation of the proxy's gate in front of one upstream, on a simulated clock:
 * the upstream has `workers` that each serve one request at a time in `serviceMs(now)`, and queues
 * the rest in its own FIFO (as an Express app behind a small pool does). Demand is either
 * saturating (a request is always waiting at the gate) or off, per `demand(now)`.
 */
export interface Simulation {
  readonly limit: GradientLimit;
  /** Runs until `untilMs`; returns what completed in [fromMs, untilMs). */
  run(untilMs: number, fromMs?: number): Window;
  readonly now: number;
}

export interface Window {
  completed: number;
  meanLatencyMs: number;
  maxLatencyMs: number;
  /** The limit's range over the window. */
  limitMin: number;
  limitMax: number;
}

interface Sent { sentAt: number; inFlight: number }

export function simulate(workers: number, serviceMs: (now: number) => number, demand: (now: number) => boolean = () => true, options: GradientLimitOptions = GRADIENT_DEFAULTS): Simulation {
  let now = 0;
  let seed = 42;
  const random = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const limit = new GradientLimit(0, options, random);
  let inFlight = 0;
  let busyWorkers = 0;
  const upstreamQueue: Sent[] = [];
  // Completion events, kept sorted by time.
  const events: Array<{ at: number; sent: Sent }> = [];
  const schedule = (at: number, sent: Sent): void => {
    let i = events.length;
    while (i > 0 && events[i - 1].at > at) i--;
    events.splice(i, 0, { at, sent });
  };
  const startWork = (sent: Sent): void => { busyWorkers++; schedule(now + serviceMs(now), sent); };
  const admit = (): void => {
    while (demand(now) && inFlight < limit.limit) {
      inFlight++;
      const sent = { sentAt: now, inFlight };
      if (busyWorkers < workers) startWork(sent);
      else upstreamQueue.push(sent);
    }
  };
  const sim = {
    limit,
    get now() { return now; },
    run(untilMs: number, fromMs = now): Window {
      const w: Window = { completed: 0, meanLatencyMs: 0, maxLatencyMs: 0, limitMin: Infinity, limitMax: 0 };
      let latencySum = 0;
      admit();
      while (true) {
        // With no demand and nothing in flight, time still passes (1 ms steps) until demand returns.
        const next = events.length > 0 ? events[0].at : now + 1;
        if (next >= untilMs) { now = untilMs; break; }
        now = next;
        if (events.length > 0 && events[0].at === now) {
          const { sent } = events.shift()!;
          busyWorkers--;
          inFlight--;
          const latency = now - sent.sentAt;
          limit.sample(latency, sent.inFlight, now);
          if (now >= fromMs) {
            w.completed++;
            latencySum += latency;
            w.maxLatencyMs = Math.max(w.maxLatencyMs, latency);
            w.limitMin = Math.min(w.limitMin, limit.limit);
            w.limitMax = Math.max(w.limitMax, limit.limit);
          }
          const queued = upstreamQueue.shift();
          if (queued !== undefined) startWork(queued);
        }
        admit();
      }
      w.meanLatencyMs = w.completed === 0 ? 0 : latencySum / w.completed;
      return w;
    },
  };
  return sim;
}
