import { GradientLimit, GRADIENT_DEFAULTS, type GradientLimitOptions } from './gradient-limit';
import { WaitingLine, type Priority, type Waiter } from './waiting-line';

/** How often waiters past their deadline are looked for while any wait. */
const SWEEP_EVERY_MS = 20;
/** The completion rate is judged over this much time spent with requests waiting. */
const RATE_WINDOW_MS = 250;

export type ShedReason = 'queue-full' | 'queue-timeout' | 'displaced';

export interface GateEvents {
  /** A waiter was shed (its request answered 503); `waitedMs` is how long it waited. */
  shed(priority: Priority, reason: ShedReason, waitedMs: number): void;
  /** A waiter got its slot after `waitedMs`. */
  admitted(priority: Priority, waitedMs: number): void;
}

/**
 * Admission to one upstream: at most `limit` requests in flight (learned by GradientLimit), the
 * rest wait in a WaitingLine by priority for at most their route's max_queue, then are shed.
 *
 * A newcomer is shed at once, without waiting, when the requests already waiting before it could
 * not all be sent within its max_queue at the rate the upstream completes them: a shopper learns
 * at once that the answer is "later", and the line never holds more than max_queue's worth.
 * Except a critical newcomer: it takes the place of the newest normal or low waiter, which is
 * shed instead; it is shed itself only when no less urgent request waits.
 *
 * The clock is passed in (`now`, ms); the sweep timer is the only I/O and runs only while some
 * request waits.
 */
export class UpstreamGate {
  /** Shoppers' requests sent to this upstream and not finished. */
  inFlight = 0;
  /** Mirrors sent to this upstream and not reported done. */
  mirrors = 0;
  readonly limiter: GradientLimit;
  private readonly line = new WaitingLine();
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly swept: Waiter[] = [];
  /**
   * Completions per ms while requests wait (the upstream's capacity as it serves now); 0 until
   * measured. Measured only while saturated: a quiet upstream's rate is its traffic, not its capacity.
   */
  private rate = 0;
  private lastLeaveAt = -1;
  private rateSpan = 0;
  private rateCount = 0;

  constructor(now: number, private readonly clock: () => number, private readonly events: GateEvents, options: GradientLimitOptions = GRADIENT_DEFAULTS) {
    this.limiter = new GradientLimit(now, options);
  }

  get limit(): number {
    return this.limiter.limit;
  }

  get queued(): number {
    return this.line.size;
  }

  /** The fast path: a slot is free and nobody waits, so this request goes now (and holds the slot). */
  tryEnter(): boolean {
    if (this.inFlight >= this.limiter.limit || this.line.size > 0) return false;
    this.inFlight++;
    return true;
  }

  /**
   * Waits for a slot: `settle(true)` when the request may go (it then holds a slot), `settle(false)`
   * when it is shed. May settle synchronously (shed at once). Returns the waiter, for cancel().
   */
  wait(priority: Priority, maxQueueMs: number, now: number, settle: (admitted: boolean) => void): Waiter {
    const waiter: Waiter = { priority, enqueuedAt: now, deadline: now + maxQueueMs, settle, done: false };
    const room = this.rate * maxQueueMs;
    if (this.rate > 0 && this.line.size >= room) {
      // The line is as long as the upstream can drain in max_queue: a critical newcomer takes the
      // newest less urgent waiter's place; any other is shed at once when those before it fill it.
      const displaced = priority === 0 ? this.line.popNewestBelow(0) : null;
      if (displaced !== null) {
        this.events.shed(displaced.priority, 'displaced', now - displaced.enqueuedAt);
        displaced.settle(false);
      } else if (this.line.ahead(priority) >= room) {
        waiter.done = true;
        this.events.shed(priority, 'queue-full', 0);
        settle(false);
        return waiter;
      }
    }
    this.line.push(waiter);
    this.sweepTimer ??= setInterval(() => this.sweep(this.clock()), SWEEP_EVERY_MS).unref();
    return waiter;
  }

  /** The shopper left while waiting: nothing is sent, nothing is answered. */
  cancel(waiter: Waiter): void {
    this.line.cancel(waiter);
  }

  /**
   * A request that held a slot finished. `rttMs` is its time to response headers (null when it
   * never got an answer that says anything of the upstream's speed: refused, reset, the shopper
   * gone); `inFlightAtSend` how many were in flight when it was sent.
   */
  leave(rttMs: number | null, inFlightAtSend: number, now: number): void {
    this.inFlight--;
    if (this.line.size > 0) this.measureRate(now);
    else this.lastLeaveAt = -1;
    if (rttMs !== null) this.limiter.sample(rttMs, inFlightAtSend, now);
    this.admitWaiting(now);
  }

  private measureRate(now: number): void {
    if (this.lastLeaveAt >= 0) {
      this.rateSpan += now - this.lastLeaveAt;
      this.rateCount++;
      if (this.rateSpan >= RATE_WINDOW_MS) {
        const measured = this.rateCount / this.rateSpan;
        this.rate = this.rate === 0 ? measured : 0.7 * this.rate + 0.3 * measured;
        this.rateSpan = 0;
        this.rateCount = 0;
      }
    }
    this.lastLeaveAt = now;
  }

  /**
   * Mirrors yield: one may start only while no shopper waits and shoppers leave room under the
   * limit. It is counted (`mirrors`) until leaveMirror(), but it never takes a shopper's slot:
   * shoppers are admitted on their own count, so a hung shadow side cannot hold them back (the
   * shadow worker's own bound, STRANGLER_SHADOW_MAX_IN_FLIGHT, caps the mirrors).
   */
  tryEnterMirror(): boolean {
    if (this.line.size > 0 || this.inFlight >= this.limiter.limit) return false;
    this.mirrors++;
    return true;
  }

  leaveMirror(): void {
    this.mirrors--;
  }

  private admitWaiting(now: number): void {
    while (this.line.size > 0 && this.inFlight < this.limiter.limit) {
      const next = this.line.shift();
      if (next === null) break;
      this.inFlight++;
      this.events.admitted(next.priority, now - next.enqueuedAt);
      next.settle(true);
    }
  }

  /** Sheds every waiter past its deadline (critical ones only once no less urgent one waits). */
  sweep(now: number): void {
    const out = this.swept;
    this.line.expired(now, out);
    for (const waiter of out) {
      this.events.shed(waiter.priority, 'queue-timeout', now - waiter.enqueuedAt);
      waiter.settle(false);
    }
    out.length = 0;
    // A limit that grew (or a slot freed by a cancelled request) lets waiters in without a completion.
    this.admitWaiting(now);
    this.stopSweepWhenIdle();
  }

  /**
   * Only the sweep stops its own timer, once it finds nobody waiting: under load the line empties
   * and fills again with nearly every request, and a timer made and cleared each time showed in
   * profiles.
   */
  private stopSweepWhenIdle(): void {
    if (this.line.size === 0 && this.sweepTimer !== null) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = null;
    }
  }

  /** Stops the sweep timer and sheds whoever waits (the proxy is stopping). */
  close(): void {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    let waiter = this.line.shift();
    while (waiter !== null) { waiter.settle(false); waiter = this.line.shift(); }
  }
}
