import { bodyText } from './compare/body-kind';
import { judge, type ShadowAnswer, type Verdict } from './compare/compare';
import type { ShadowClient } from './client';
import { NoiseProbes } from './noise-probes';
import type { DiffStore } from './store/diff-store';
import type { ShadowOutcome } from './outcomes';
import { redactBody, redactTarget, safeHeaders } from './redact';

/** What the proxy hands over for one sampled request, after the shopper's response has ended. */
export interface ShadowJob {
  readonly at: number;
  readonly route: string;
  readonly config: { readonly ignore: readonly string[]; readonly arrayKeys: Readonly<Record<string, string>>; readonly normalisers: readonly string[] };
  readonly legacyOrigin: string;
  readonly extractedOrigin: string;
  readonly method: string;
  readonly target: string;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Buffer | null;
  readonly servedBy: 'legacy' | 'extracted';
  readonly served: ShadowAnswer;
  readonly source: 'live' | 'replay';
  /** The rules' table hash the job was sampled under: a new one starts the route's noise probing afresh. */
  readonly rules?: string;
  /** The shopper request's trace id, kept with the diff row; absent for a replay. */
  readonly traceId?: string | null;
}

export type { ShadowOutcome } from './outcomes';

export interface MirrorEvents { outcome(route: string, outcome: ShadowOutcome): void }

/** Request headers kept with a diff row so `strangler replay` can send the request again. */
const REPLAY_HEADERS = ['accept', 'accept-language', 'content-type', 'x-region'];
const SAMPLE_CAP = 4096;

/**
 * Mirrors sampled requests off the shopper's path: `offer` never awaits and never throws; at most
 * `maxInFlight` jobs run at once, the rest are dropped and counted. A read is asked of legacy a
 * second time (the noise probe) when `probes` says so (noise-probe.ts): every read while the
 * route's noise picture is being learned, a random few once it is settled. Where legacy disagrees
 * with itself is noise for that request, and the stored rows let a window of them judge which
 * fields are noisy (window-noise.ts). Whether to probe never depends on what differed: asking
 * again only when extracted differed would count legacy's self-disagreement on a biased sample.
 * Reads not probed, and writes (which go only to extracted, as a dry run, never to legacy), are
 * judged with the fields the route's probes have shown noisy; their rows store `noise: null`.
 */
export class Mirror {
  private inFlight = 0;

  constructor(private readonly client: ShadowClient, private readonly store: DiffStore, private readonly events: MirrorEvents, readonly maxInFlight = 64,
    readonly probes = new NoiseProbes()) {}

  busy(): number {
    return this.inFlight;
  }

  offer(job: ShadowJob): boolean {
    this.store.count(job.route, job.at, 'sampled');
    if (this.inFlight >= this.maxInFlight) {
      this.store.count(job.route, job.at, 'dropped');
      this.events.outcome(job.route, 'dropped');
      return false;
    }
    this.inFlight++;
    void this.run(job).finally(() => { this.inFlight--; });
    return true;
  }

  /** Runs one job to its verdict (also used by replay, which awaits it). */
  async run(job: ShadowJob): Promise<ShadowOutcome> {
    return (await this.runAtOnce(job, Promise.resolve(job.served)))!;
  }

  /**
   * Runs one job whose served answer may still be on its way, as Diffy does: the other side (and
   * legacy's second answer) are asked now, at the same moment as the served side, so that all the
   * answers see the same state. Asked after the shopper's answer, they could see what the shopper's
   * next request changed (a checkout empties the cart its quote was made from) and a state that
   * moved would count as a mismatch. `served` resolves to null when the shopper got nothing to
   * compare (a failure, a fallback): then nothing is stored or counted and null is returned.
   */
  async runAtOnce(job: Omit<ShadowJob, 'served'>, served: Promise<ShadowAnswer | null>): Promise<ShadowOutcome | null> {
    const read = job.method === 'GET' || job.method === 'HEAD';
    if (!read && job.servedBy === 'extracted') {
      if ((await served) === null) return null;
      this.events.outcome(job.route, 'skipped');
      return 'skipped';
    }
    const ask = (origin: string, dryRun: boolean): Promise<ShadowAnswer> => this.client.send({
      origin, method: job.method, target: job.target, headers: job.headers, body: job.body, dryRun,
    });
    const probe = read && this.probes.take(job.route, job.rules ?? null);
    // Writes go to extracted only, as a dry run; legacy's second answer is asked with the other side's, so it costs no time.
    const asked: Promise<[ShadowAnswer, ShadowAnswer | null]> = job.servedBy === 'legacy'
      ? Promise.all([ask(job.extractedOrigin, true), probe ? ask(job.legacyOrigin, false) : null])
      : Promise.all([ask(job.legacyOrigin, false), probe ? ask(job.legacyOrigin, false) : null]);
    asked.catch(() => undefined); // awaited below, once the served answer is in; never an unhandled rejection meanwhile
    const servedAnswer = await served;
    if (servedAnswer === null) return null;
    let legacy: ShadowAnswer;
    let legacyAgain: ShadowAnswer | null;
    let extracted: ShadowAnswer;
    let verdict: Verdict;
    try {
      const [other, again] = await asked;
      if (job.servedBy === 'legacy') [legacy, extracted, legacyAgain] = [servedAnswer, other, again];
      else [extracted, legacy, legacyAgain] = [servedAnswer, other, again];
      verdict = judge(legacy, legacyAgain, extracted, job.config, probe ? [] : this.probes.known(job.route));
    } catch {
      this.store.count(job.route, job.at, 'errors');
      this.events.outcome(job.route, 'error');
      return 'error';
    }
    if (read) this.probes.record(job.route, probe ? verdict.legacyDiffers : null);
    const outcome = verdict.outcome;
    const sample = (answer: ShadowAnswer): string | null => (outcome === 'mismatch' ? sampleOf(answer) : null);
    this.store.add({
      at: job.at, route: job.route, method: job.method, target: redactTarget(job.target), servedBy: job.servedBy,
      legacyStatus: legacy.status, extractedStatus: extracted.status, legacyMs: round(legacy.ms), extractedMs: round(extracted.ms),
      // Every differing path and every path legacy disagreed with itself at (null: not probed), so that a
      // window of rows can be judged again when it is read (window-verdict.ts); `outcome` is this request's own verdict.
      outcome, paths: verdict.differing, noise: probe ? verdict.legacyDiffers : null, legacySample: sample(legacy), extractedSample: sample(extracted),
      requestHeaders: read ? safeHeaders(job.headers, REPLAY_HEADERS) : {}, source: job.source, traceId: job.traceId ?? null,
    });
    this.events.outcome(job.route, outcome);
    return outcome;
  }
}

/** A redacted, capped sample of the body as decoded; for one that could not be decoded, why. */
function sampleOf(answer: ShadowAnswer): string {
  const type = String(answer.headers['content-type'] ?? '');
  if (answer.undecodable !== null) return `[body not decodable: ${answer.undecodable}]`;
  return redactBody(bodyText(answer.body, type), type, SAMPLE_CAP);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
