import { bodyKind, bodyText, type BodyKind } from './body-kind';
import { diffHtml } from './html-diff';
import { diffFastHtml } from './html-fast-diff';
import { sharedText } from './common-text';
import { parseFastHtmlBeside } from './html-fast-region';
import { parseFastHtml, type FastDocument } from './html-fast-tree';
import { parseHtmlDocument, type HtmlDocument } from './html-tree';
import { diffJsonText } from './json-text-diff';
import { explains, isIgnored, noiseIndex, TRUNCATED_BODY, UNDECODABLE_BODY } from './paths';
import { diffTextLines } from './text-diff';

/** One side's answer as the comparison sees it: the body decoded (decode-answer.ts), at most the capture cap. */
export interface ShadowAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body with its Content-Encoding undone. */
  readonly body: Buffer;
  /** True when the body, as sent or once decoded, was longer than the capture cap: it is not compared. */
  readonly truncated: boolean;
  /** Why the body could not be decoded (then `body` is the bytes as sent); null when it could. */
  readonly undecodable: string | null;
  readonly ms: number;
}

export interface CompareConfig {
  readonly ignore: readonly string[];
  readonly arrayKeys: Readonly<Record<string, string>>;
  readonly normalisers: readonly string[];
}

/** Headers whose differences a shopper would notice. `content-encoding` is transport: bodies are compared decoded. */
const COMPARED_HEADERS = ['content-type', 'cache-control', 'location'] as const;

function header(answer: ShadowAnswer, name: string): string {
  const value = answer.headers[name];
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

function cookieNames(answer: ShadowAnswer): string {
  const raw = answer.headers['set-cookie'];
  const list = Array.isArray(raw) ? raw : raw ? [raw] : [];
  return list.map((c) => c.split('=')[0].trim()).sort().join(',');
}

/**
 * Each answer's body decoded (and, for HTML, parsed) once for all the comparisons of one request
 * (legacy's first answer is compared with extracted's and with legacy's second). Bodies are read
 * as the kind that legacy's Content-Type names, so one memo serves one request's answers only.
 */
export class ParsedBodies {
  private readonly texts = new Map<ShadowAnswer, string>();
  private readonly html = new Map<ShadowAnswer, HtmlDocument>();
  private readonly fastHtml = new Map<ShadowAnswer, FastDocument | null>();

  constructor(private readonly config: CompareConfig) {}

  textOf(answer: ShadowAnswer): string {
    let text = this.texts.get(answer);
    if (text === undefined) {
      text = bodyText(answer.body, header(answer, 'content-type'));
      this.texts.set(answer, text);
    }
    return text;
  }

  /** The page as html-fast-tree.ts reads it; null when it needs parse5. */
  fastHtmlOf(answer: ShadowAnswer): FastDocument | null {
    let document = this.fastHtml.get(answer);
    if (document === undefined) {
      document = parseFastHtml(this.textOf(answer));
      this.fastHtml.set(answer, document);
    }
    return document;
  }

  /**
   * `answer`'s page for comparing with `first`'s: read only where the two differ when it can be
   * (html-fast-region.ts; not kept, as its shared elements are `first`'s), else whole.
   */
  fastHtmlBeside(first: ShadowAnswer, answer: ShadowAnswer): FastDocument | null {
    const base = this.fastHtmlOf(first);
    if (base === null) return null;
    if (this.fastHtml.has(answer)) return this.fastHtml.get(answer) ?? null;
    const text = this.textOf(answer);
    return parseFastHtmlBeside(base, text, sharedText(base.text, text)) ?? this.fastHtmlOf(answer);
  }

  htmlOf(answer: ShadowAnswer): HtmlDocument {
    let document = this.html.get(answer);
    if (document === undefined) {
      document = parseHtmlDocument(this.textOf(answer), this.config.normalisers);
      this.html.set(answer, document);
    }
    return document;
  }
}

function bodyDiff(a: ShadowAnswer, b: ShadowAnswer, kind: BodyKind, config: CompareConfig, parsed: ParsedBodies): string[] {
  // A body cut at the cap is never compared, even with the same first bytes: what differs may be in
  // the part not kept.
  if (a.truncated || b.truncated) return [TRUNCATED_BODY];
  if (a.undecodable !== null || b.undecodable !== null) {
    return a.undecodable !== null && b.undecodable !== null && a.body.equals(b.body) ? [] : [UNDECODABLE_BODY];
  }
  // The same bytes differ nowhere, whatever the content type: the common case costs no parse.
  if (a.body.equals(b.body)) return [];
  // A JSON body that does not parse is compared as a whole.
  if (kind === 'json') return diffJsonText(parsed.textOf(a), parsed.textOf(b), { arrayKeys: config.arrayKeys }) ?? ['body'];
  if (kind === 'html') {
    // Two well-formed pages: the fast reading, which gives what parse5's would; otherwise parse5's.
    const fastA = parsed.fastHtmlOf(a);
    const fastB = fastA === null ? null : parsed.fastHtmlBeside(a, b);
    return fastA !== null && fastB !== null ? diffFastHtml(fastA, fastB, config.normalisers) : diffHtml(parsed.htmlOf(a), parsed.htmlOf(b));
  }
  if (kind === 'text') return diffTextLines(parsed.textOf(a), parsed.textOf(b), config.normalisers);
  return ['body'];
}

/**
 * Every path at which two answers differ: status, compared headers, cookie names and, when the
 * statuses agree, the body (JSON by field, HTML by element, text by line, anything else whole).
 * Bodies are read as the kind `a`'s Content-Type names.
 */
export function differences(a: ShadowAnswer, b: ShadowAnswer, config: CompareConfig, parsed = new ParsedBodies(config)): string[] {
  const paths: string[] = [];
  if (a.status !== b.status) paths.push('status');
  for (const name of COMPARED_HEADERS) if (header(a, name).split(';')[0] !== header(b, name).split(';')[0]) paths.push(`headers.${name}`);
  if (cookieNames(a) !== cookieNames(b)) paths.push('headers.set-cookie');
  if (a.status === b.status) paths.push(...bodyDiff(a, b, bodyKind(header(a, 'content-type')), config, parsed));
  return paths.filter((p) => !isIgnored(p, config.ignore));
}

export type RequestOutcome = 'match' | 'mismatch' | 'truncated';

export interface Verdict {
  /** Every path at which legacy and extracted differ (ignored paths left out). */
  readonly differing: readonly string[];
  /** Every path at which legacy's two answers differ; [] when legacy was asked once (a write). */
  readonly legacyDiffers: readonly string[];
  /** Differing paths that neither legacy's own disagreement nor known noise explains. */
  readonly mismatches: readonly string[];
  /** Differing paths explained as noise. */
  readonly noise: readonly string[];
  /** `truncated` when nothing but a body past the cap is left unexplained: not compared, never a match. */
  readonly outcome: RequestOutcome;
}

/**
 * Diffy's noise cancellation for one request: a path at which legacy's two answers differ is
 * noise at that very path, never more (the rest of the body still counts). `knownNoise` (generic
 * paths) stands in for the second answer when there is none, a write, which cannot be asked of
 * legacy twice: what the route's reads have shown to be noisy, at any index.
 */
export function judge(legacy: ShadowAnswer, legacyAgain: ShadowAnswer | null, extracted: ShadowAnswer, config: CompareConfig,
  knownNoise: Iterable<string> = [], parsed = new ParsedBodies(config)): Verdict {
  const differing = differences(legacy, extracted, config, parsed);
  // Legacy's body past the cap is cut on both its answers: that is not legacy disagreeing with itself.
  const legacyDiffers = legacyAgain === null ? [] : differences(legacy, legacyAgain, config, parsed).filter((p) => p !== TRUNCATED_BODY);
  const index = noiseIndex(legacyDiffers, knownNoise);
  const mismatches: string[] = [];
  const noise: string[] = [];
  for (const path of differing) {
    if (path === TRUNCATED_BODY) continue;
    (explains(index, path) ? noise : mismatches).push(path);
  }
  const outcome = mismatches.length > 0 ? 'mismatch' : differing.includes(TRUNCATED_BODY) ? 'truncated' : 'match';
  return { differing, legacyDiffers, mismatches, noise, outcome };
}
