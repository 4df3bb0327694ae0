/**
 * How many requests one upstream serves well at once, learned from the latency of the requests it
 * completes. A pure state machine: the caller passes the time (ms) to every call and
 * the source of jitter to the constructor, so the unit tests drive it on a simulated clock.
 *
 * The controller is a gradient one, as Envoy's adaptive concurrency filter and Netflix's
 * concurrency-limits are:
 *
 *   every `windowMs`:  gradient = clamp((minRtt × (1 + tolerance) + slack) / windowRtt, 0.5, 2)   (tolerance 0.25)
 *                      limit    = clamp(limit × gradient + √limit, minLimit, maxLimit)
 *
 * `windowRtt` is the mean latency (to response headers) of the requests that completed in the
 * window. While the upstream is not queueing, windowRtt ≈ minRtt and the limit grows (√limit a
 * window, and up to ×1.25 more), but only while the traffic actually fills at least half of it, so an idle
 * upstream's limit does not run away. Once requests queue inside the upstream, latency rises with
 * the number sent past its capacity and the gradient pulls the limit back: it settles a little
 * above the upstream's real concurrency, which keeps it busy without a queue of its own.
 *
 * `minRtt` is the latency with no queue. It is learned three ways:
 *  - it follows any window faster than it (a faster upstream shows itself at once);
 *  - a window run at `minLimit` is a measurement without queueing, so it replaces minRtt, up or
 *    down (an upstream that became 10× slower: the gradient first drives the limit down to
 *    minLimit, that window re-measures minRtt, and the limit grows back to the new capacity);
 *  - every `probeEveryMs` (60 s, Envoy's default; ± 25 % jitter, so workers and replicas do not probe together), the
 *    limit is held at `minLimit` for `probeSamples` requests, as Envoy does, and minRtt becomes
 *    their mean, so a slow drift upwards is noticed too;
 *  - a sharp change (a window's latency half or double the last one's, and by 5 ms or more) brings that probe forward,
 *    to now or, when the last one is closer than `minProbeGapMs`, to that gap's end: an upstream that recovered from a slowdown while its queue
 *    kept every window slow would otherwise wait up to `probeEveryMs` to be trusted again.
 * A request that timed out counts as a sample of its deadline: the strongest slow-down signal.
 */
export interface GradientLimitOptions {
  readonly initialLimit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  /** Length of one measurement window. */
  readonly windowMs: number;
  /** Fewest completions that make a window worth judging (fewer: the window is extended). */
  readonly minSamples: number;
  /** Latency above minRtt that still counts as "not queueing" (0.25 = 25 %, Envoy's default buffer). */
  readonly tolerance: number;
  readonly probeEveryMs: number;
  readonly probeSamples: number;
  readonly minProbeGapMs: number;
  /** Latency (ms) under which the limit never shrinks: no shopper notices a queue that short. */
  readonly fastMs: number;
  /** A sharp change must also move the latency by at least this much (ms). */
  readonly sharpChangeMs: number;
  /** Headroom added each window: headroom × √limit requests (Envoy adds √limit; half of it keeps a small upstream's own queue shorter). */
  readonly headroom: number;
}

export const GRADIENT_DEFAULTS: GradientLimitOptions = Object.freeze({
  initialLimit: 20,
  minLimit: 3,
  maxLimit: 1000,
  windowMs: 100,
  minSamples: 5,
  tolerance: 0.25,
  probeEveryMs: 60_000,
  probeSamples: 20,
  minProbeGapMs: 5_000,
  sharpChangeMs: 5,
  fastMs: 20,
  headroom: 0.5,
});

export class GradientLimit {
  /** Requests allowed upstream at once, a whole number ≥ minLimit. */
  limit: number;
  /** The no-queue latency (ms); 0 until the first measurement. */
  minRtt = 0;
  /**
   * Latency (ms) added by this process itself, not the upstream: the time an answer that has
   * arrived waits for a busy event loop to read it. Set by the caller (Admission measures the
   * event loop's delay); without it, a proxy short of CPU would read its own lag as an upstream
   * queue and cut the limit of an upstream that is fine, making itself the queue.
   */
  slackMs = 0;
  private estimate: number;
  private windowStart: number;
  private sum = 0;
  private count = 0;
  private peakInFlight = 0;
  private probeLeft: number;
  private probeSum = 0;
  private nextProbeAt: number;
  private lastProbeAt: number;
  private lastWindowRtt = 0;

  constructor(now: number, private readonly options: GradientLimitOptions = GRADIENT_DEFAULTS, private readonly random: () => number = Math.random) {
    this.estimate = options.initialLimit;
    this.windowStart = now;
    // The first minRtt is measured at start, as Envoy does, before anything is known.
    this.probeLeft = options.probeSamples;
    this.limit = options.minLimit;
    this.nextProbeAt = now + this.jittered();
    this.lastProbeAt = now;
  }

  /** True while the limit is held low to measure minRtt. */
  get probing(): boolean {
    return this.probeLeft > 0;
  }

  /**
   * One completed request: its latency to response headers (ms) and how many were in flight when
   * it was sent (itself included). Cheap: a few additions, and a judgement once a window.
   */
  sample(rttMs: number, inFlight: number, now: number): void {
    if (this.probeLeft > 0) {
      // Only requests sent while the limit was low measure the upstream without a queue.
      if (inFlight <= this.options.minLimit) {
        this.probeSum += rttMs;
        if (--this.probeLeft === 0) this.endProbe(now);
      }
      return;
    }
    this.sum += rttMs;
    this.count++;
    if (inFlight > this.peakInFlight) this.peakInFlight = inFlight;
    if (now - this.windowStart >= this.options.windowMs && this.count >= this.options.minSamples) this.judge(now);
  }

  private endProbe(now: number): void {
    this.minRtt = this.probeSum / this.options.probeSamples;
    this.probeSum = 0;
    this.limit = Math.round(this.estimate);
    this.nextProbeAt = now + this.jittered();
    this.lastProbeAt = now;
    this.lastWindowRtt = 0;
    this.resetWindow(now);
  }

  private judge(now: number): void {
    const o = this.options;
    const rtt = this.sum / this.count;
    const atFloor = this.limit <= o.minLimit;
    if (this.minRtt === 0 || rtt < this.minRtt || atFloor) this.minRtt = rtt;
    // An upstream answering within `fastMs` is not queueing in a way a shopper notices: holding
    // requests back in the proxy then only costs the proxy (fewer answers per event-loop turn).
    const tolerated = Math.max(o.fastMs, this.minRtt * (1 + o.tolerance) + this.slackMs);
    const gradient = Math.min(2, Math.max(0.5, tolerated / rtt));
    let next = this.estimate * gradient + o.headroom * Math.sqrt(this.estimate);
    // Only traffic that fills the limit is evidence the upstream takes more.
    if (next > this.estimate && this.peakInFlight < this.estimate / 2) next = this.estimate;
    this.estimate = Math.min(o.maxLimit, Math.max(o.minLimit, next));
    this.limit = Math.round(this.estimate);
    this.resetWindow(now);
    // Half or double, and by more than a few ms: a sub-millisecond upstream's jitter is not a change.
    const sharp = this.lastWindowRtt > 0 && Math.abs(rtt - this.lastWindowRtt) >= o.sharpChangeMs && (rtt * 2 <= this.lastWindowRtt || rtt >= this.lastWindowRtt * 2);
    this.lastWindowRtt = rtt;
    if (sharp) this.nextProbeAt = Math.min(this.nextProbeAt, this.lastProbeAt + o.minProbeGapMs);
    if (now >= this.nextProbeAt) {
      this.probeLeft = o.probeSamples;
      this.limit = o.minLimit;
    }
  }

  private resetWindow(now: number): void {
    this.windowStart = now;
    this.sum = 0;
    this.count = 0;
    this.peakInFlight = 0;
  }

  private jittered(): number {
    return this.options.probeEveryMs * (0.75 + this.random() * 0.5);
  }
}
