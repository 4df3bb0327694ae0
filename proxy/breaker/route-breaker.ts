import type { BreakerConfig } from '../rules/types';

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * What the decision needs to know: `closed` (send by percent), `open` (send nobody to extracted;
 * also half-open with every probe taken), `probing` (half-open with a trial request free).
 */
export type BreakerGate = 'closed' | 'open' | 'probing';

export interface BreakerStatus {
  readonly state: BreakerState;
  /** When the breaker entered this state (ISO time). */
  readonly since: string;
  /** Failed share of the extracted requests in the window (closed), or in the window that opened it. */
  readonly failureRate: number | null;
  /** Extracted requests counted in that window. */
  readonly requests: number;
  readonly trips: number;
}

/** A change of state, for the log line and the metrics. */
export interface BreakerChange {
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly failureRate: number | null;
  readonly requests: number;
}

/** The window is kept as this many slots, so it slides in steps of a tenth of its length. */
const SLOTS = 10;

/**
 * One route's circuit breaker: closed → open when the failed share of extracted requests over the
 * sliding window reaches the rate (with at least `minRequests`) → half-open after `openForMs` with
 * `probes` trial requests → closed (fresh window) when all succeed, open again when one fails.
 * The clock is passed in, so the machine is tested without waiting.
 */
export class RouteBreaker {
  private state: BreakerState = 'closed';
  private sinceMs: number;
  private readonly requests = new Int32Array(SLOTS);
  private readonly failures = new Int32Array(SLOTS);
  private readonly slotMs: number;
  /** Index (time / slotMs) of the newest slot written. */
  private slot = 0;
  private probesStarted = 0;
  private probesSucceeded = 0;
  /** The window's figures when it opened, shown while open and half-open. */
  private tripRate: number | null = null;
  private tripRequests = 0;
  trips = 0;

  constructor(readonly config: BreakerConfig, private readonly now: () => number, private readonly changed: (change: BreakerChange) => void) {
    this.sinceMs = now();
    this.slotMs = Math.max(1, config.windowMs / SLOTS);
    this.slot = Math.floor(this.sinceMs / this.slotMs);
  }

  /** Where the decision may send this route's shoppers now (moves open to half-open when its time is up). */
  gate(): BreakerGate {
    if (this.state === 'closed') return 'closed';
    if (this.state === 'open') {
      if (this.now() - this.sinceMs < this.config.openForMs) return 'open';
      this.enter('half-open');
    }
    return this.probesStarted < this.config.probes ? 'probing' : 'open';
  }

  /** A half-open trial request was sent to extracted. */
  probeStarted(): void {
    this.probesStarted++;
  }

  /** A trial request ended without a verdict (the shopper left): the slot goes to the next shopper. */
  probeAbandoned(): void {
    if (this.state === 'half-open' && this.probesStarted > 0) this.probesStarted--;
  }

  /** The outcome of one request sent to extracted. */
  result(failed: boolean, probe: boolean): void {
    if (this.state === 'closed') { this.count(failed); return; }
    // While open, answers to requests sent before it opened say nothing new; while half-open only
    // the trial requests are judged.
    if (this.state !== 'half-open' || !probe) return;
    if (failed) { this.open(this.tripRate, this.tripRequests); return; }
    this.probesSucceeded++;
    if (this.probesSucceeded >= this.config.probes) {
      this.requests.fill(0);
      this.failures.fill(0);
      this.enter('closed');
    }
  }

  status(): BreakerStatus {
    this.gate(); // an expired open period shows as half-open even when no request came
    const closed = this.state === 'closed';
    const { requests, failures } = closed ? this.window() : { requests: this.tripRequests, failures: 0 };
    return {
      state: this.state,
      since: new Date(this.sinceMs).toISOString(),
      failureRate: closed ? (requests === 0 ? null : round(failures / requests)) : this.tripRate,
      requests,
      trips: this.trips,
    };
  }

  get current(): BreakerState {
    return this.state;
  }

  private count(failed: boolean): void {
    const slot = Math.floor(this.now() / this.slotMs);
    if (slot !== this.slot) {
      // Clear the slots that the window slid past (all of them after a long quiet spell).
      for (let s = this.slot + 1; s <= slot && s <= this.slot + SLOTS; s++) { this.requests[s % SLOTS] = 0; this.failures[s % SLOTS] = 0; }
      this.slot = slot;
    }
    const i = slot % SLOTS;
    this.requests[i]++;
    if (!failed) return;
    this.failures[i]++;
    const { requests, failures } = this.window();
    if (requests >= this.config.minRequests && failures / requests >= this.config.failureRate) this.open(round(failures / requests), requests);
  }

  private window(): { requests: number; failures: number } {
    // Slots older than the window still hold counts until overwritten; skip them.
    const newest = Math.floor(this.now() / this.slotMs);
    let requests = 0;
    let failures = 0;
    for (let s = newest - SLOTS + 1; s <= newest; s++) {
      if (s > this.slot || s <= this.slot - SLOTS) continue;
      requests += this.requests[((s % SLOTS) + SLOTS) % SLOTS];
      failures += this.failures[((s % SLOTS) + SLOTS) % SLOTS];
    }
    return { requests, failures };
  }

  private open(rate: number | null, requests: number): void {
    this.tripRate = rate;
    this.tripRequests = requests;
    this.trips++;
    this.enter('open');
  }

  private enter(to: BreakerState): void {
    const from = this.state;
    this.state = to;
    this.sinceMs = this.now();
    this.probesStarted = 0;
    this.probesSucceeded = 0;
    if (to === 'closed') { this.tripRate = null; this.tripRequests = 0; }
    // The machine is never left half-changed by the caller's hook.
    try { this.changed({ from, to, failureRate: this.tripRate, requests: this.tripRequests }); } catch { /* the caller's bug, not the shoppers' */ }
  }
}

function round(rate: number): number {
  return Math.round(rate * 10000) / 10000;
}
