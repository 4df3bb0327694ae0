import { bodyText } from './compare/body-kind';
import { judge, type ShadowAnswer, type Verdict } from './compare/compare';
import { genericPath } from './compare/paths';
import type { ShadowClient } from './client';
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
  /** The shopper request's trace id, kept with the diff row; absent for a replay. */
  readonly traceId?: string | null;
}

export type { ShadowOutcome } from './outcomes';

export interface MirrorEvents { outcome(route: string, outcome: ShadowOutcome): void }

/** Request headers kept with a diff row so `strangler replay` can send the request again. */
const REPLAY_HEADERS = ['accept', 'accept-language', 'content-type', 'x-region'];
const SAMPLE_CAP = 4096;
/** Noisy fields remembered per route (generic form) for its writes, bounded so a pathological route cannot grow it. */
const MAX_LEARNED_NOISE = 256;

/**
 * Mirrors sampled requests off the shopper's path: `offer` never awaits and never throws; at most
 * `maxInFlight` jobs run at once, the rest are dropped and counted. Every read is asked of legacy a
 * second time, as Diffy does: where legacy disagrees with itself is noise for that request, and
 * the stored rows let a window of them judge which fields are noisy (window-noise.ts). Asking
 * again only when something differed would bias that judgement: legacy's self-disagreement would
 * be counted only on the requests where extracted already differed. Writes go only to extracted
 * as a dry run, never to legacy; they are judged with the noise the route's reads have shown.
 */
export class Mirror {
  private inFlight = 0;
  private readonly learnedNoise = new Map<string, Set<string>>();

  constructor(private readonly client: ShadowClient, private readonly store: DiffStore, private readonly events: MirrorEvents, readonly maxInFlight = 64) {}

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
    // Writes go to extracted only, as a dry run; legacy's second answer is asked with the other side's, so it costs no time.
    const asked: Promise<[ShadowAnswer, ShadowAnswer | null]> = job.servedBy === 'legacy'
      ? Promise.all([ask(job.extractedOrigin, true), read ? ask(job.legacyOrigin, false) : null])
      : Promise.all([ask(job.legacyOrigin, false), ask(job.legacyOrigin, false)]);
    asked.catch(() => undefined); // awaited below, once the served answer is in; never an unhandled rejection meanwhile
    const servedAnswer = await served;
    if (servedAnswer === null) return null;
    let legacy: ShadowAnswer;
    let legacyAgain: ShadowAnswer | null;
    let extracted: ShadowAnswer;
    let learned = this.learnedNoise.get(job.route);
    if (!learned) { learned = new Set(); this.learnedNoise.set(job.route, learned); }
    let verdict: Verdict;
    try {
      const [other, again] = await asked;
      if (job.servedBy === 'legacy') [legacy, extracted, legacyAgain] = [servedAnswer, other, again];
      else [extracted, legacy, legacyAgain] = [servedAnswer, other, again];
      verdict = judge(legacy, legacyAgain, extracted, job.config, read ? [] : learned);
    } catch {
      this.store.count(job.route, job.at, 'errors');
      this.events.outcome(job.route, 'error');
      return 'error';
    }
    for (const path of verdict.legacyDiffers) if (learned.size < MAX_LEARNED_NOISE) learned.add(genericPath(path));
    const outcome = verdict.outcome;
    const sample = (answer: ShadowAnswer): string | null => (outcome === 'mismatch' ? sampleOf(answer) : null);
    this.store.add({
      at: job.at, route: job.route, method: job.method, target: redactTarget(job.target), servedBy: job.servedBy,
      legacyStatus: legacy.status, extractedStatus: extracted.status, legacyMs: round(legacy.ms), extractedMs: round(extracted.ms),
      // Every differing path and every path legacy disagreed with itself at, so that a window of rows
      // can be judged again when it is read (window-verdict.ts); `outcome` is this request's own verdict.
      outcome, paths: verdict.differing, noise: verdict.legacyDiffers, legacySample: sample(legacy), extractedSample: sample(extracted),
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
