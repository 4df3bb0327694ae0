import { bodyText } from './compare/body-kind';
import { differences, noiseBetween, ParsedBodies, verdictFor, type ShadowAnswer, type Verdict } from './compare/compare';
import { genericPath, TRUNCATED_BODY } from './compare/paths';
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
}

export type { ShadowOutcome } from './outcomes';

export interface MirrorEvents { outcome(route: string, outcome: ShadowOutcome): void }

/** Request headers kept with a diff row so `strangler replay` can send the request again. */
const REPLAY_HEADERS = ['accept', 'accept-language', 'content-type', 'x-region'];
const SAMPLE_CAP = 4096;
/** Noisy paths remembered per route (generic form), bounded so a pathological route cannot grow it. */
const MAX_LEARNED_NOISE = 256;

/**
 * Mirrors sampled requests off the shopper's path: `offer` never awaits and never throws; at most
 * `maxInFlight` jobs run at once, the rest are dropped and counted. Reads whose differences the
 * route's known noise does not explain are asked of legacy a second time so noise can be cancelled;
 * writes go only to extracted as a dry run, never to legacy.
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
    const read = job.method === 'GET' || job.method === 'HEAD';
    if (!read && job.servedBy === 'extracted') { this.events.outcome(job.route, 'skipped'); return 'skipped'; }
    const ask = (origin: string, dryRun: boolean): Promise<ShadowAnswer> => this.client.send({
      origin, method: job.method, target: job.target, headers: job.headers, body: job.body, dryRun,
    });
    let legacy: ShadowAnswer;
    let extracted: ShadowAnswer;
    let learned = this.learnedNoise.get(job.route);
    if (!learned) { learned = new Set(); this.learnedNoise.set(job.route, learned); }
    let verdict: Verdict;
    try {
      if (job.servedBy === 'legacy') {
        legacy = job.served;
        extracted = await ask(job.extractedOrigin, true);
      } else {
        extracted = job.served;
        legacy = await ask(job.legacyOrigin, false);
      }
      // Each body parsed once: legacy's first answer is compared with extracted's and maybe with legacy's second.
      const parsed = new ParsedBodies(job.config);
      const found = differences(legacy, extracted, job.config, parsed);
      verdict = verdictFor(found, [], job.config, learned);
      // Diffy's second legacy answer is asked for only when differences remain that the route's
      // known noise does not explain: in steady state most reads cost one mirrored call, not two.
      if (read && verdict.mismatches.length > 0) {
        verdict = verdictFor(found, noiseBetween(legacy, await ask(job.legacyOrigin, false), job.config, parsed), job.config, learned);
      }
    } catch {
      this.store.count(job.route, job.at, 'errors');
      this.events.outcome(job.route, 'error');
      return 'error';
    }
    for (const path of verdict.noise) if (learned.size < MAX_LEARNED_NOISE) learned.add(genericPath(path));
    const outcome = verdict.outcome;
    const sample = (answer: ShadowAnswer): string | null => (outcome === 'mismatch' ? sampleOf(answer) : null);
    this.store.add({
      at: job.at, route: job.route, method: job.method, target: redactTarget(job.target), servedBy: job.servedBy,
      legacyStatus: legacy.status, extractedStatus: extracted.status, legacyMs: round(legacy.ms), extractedMs: round(extracted.ms),
      // A truncated body is named among the paths: the row says why it was not compared.
      outcome, paths: outcome === 'match' ? [] : [...verdict.mismatches, ...(verdict.truncated ? [TRUNCATED_BODY] : [])], noise: verdict.noise, legacySample: sample(legacy), extractedSample: sample(extracted),
      requestHeaders: read ? safeHeaders(job.headers, REPLAY_HEADERS) : {}, source: job.source,
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
