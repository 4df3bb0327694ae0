import { bodyKind, bodyText, type BodyKind } from './body-kind';
import { diffHtml } from './html-diff';
import { parseHtmlDocument, type HtmlDocument } from './html-tree';
import { diffJson } from './json-diff';
import { parseJsonLossless, type JsonValue } from './json-lossless';
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

/** A JSON body that does not parse is compared as a whole. */
const NOT_JSON = Symbol('not JSON');

/**
 * Each answer's body parsed once for all the comparisons of one request (legacy's first answer is
 * compared with extracted's and with legacy's second). Bodies are parsed as the kind that legacy's
 * Content-Type names, so one memo serves one request's answers only.
 */
export class ParsedBodies {
  private readonly json = new Map<ShadowAnswer, JsonValue | typeof NOT_JSON>();
  private readonly html = new Map<ShadowAnswer, HtmlDocument>();

  constructor(private readonly config: CompareConfig) {}

  jsonOf(answer: ShadowAnswer): JsonValue | typeof NOT_JSON {
    let value = this.json.get(answer);
    if (value === undefined) {
      try { value = parseJsonLossless(textOf(answer)); } catch { value = NOT_JSON; }
      this.json.set(answer, value);
    }
    return value;
  }

  htmlOf(answer: ShadowAnswer): HtmlDocument {
    let document = this.html.get(answer);
    if (document === undefined) {
      document = parseHtmlDocument(textOf(answer), this.config.normalisers);
      this.html.set(answer, document);
    }
    return document;
  }
}

function textOf(answer: ShadowAnswer): string {
  return bodyText(answer.body, header(answer, 'content-type'));
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
  if (kind === 'json') {
    const left = parsed.jsonOf(a);
    const right = parsed.jsonOf(b);
    return left === NOT_JSON || right === NOT_JSON ? ['body'] : diffJson(left, right, { arrayKeys: config.arrayKeys });
  }
  if (kind === 'html') return diffHtml(parsed.htmlOf(a), parsed.htmlOf(b));
  if (kind === 'text') return diffTextLines(textOf(a), textOf(b), config.normalisers);
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

export interface Verdict {
  /** Paths that differ between legacy and extracted and are neither ignored nor noise. */
  readonly mismatches: readonly string[];
  /** Paths that differed between two legacy answers, or that known noise explained. */
  readonly noise: readonly string[];
  /** True when a body was past the capture cap on either side, so the bodies were not compared. */
  readonly truncated: boolean;
  /** `truncated` when nothing but a body past the cap is left unexplained: not compared, never a match. */
  readonly outcome: 'match' | 'mismatch' | 'truncated';
}

/**
 * Diffy's noise cancellation: a field that differs between two answers of legacy to the same
 * request is noise, not a mismatch. `knownNoise` carries what the route's earlier reads taught
 * (writes cannot be asked of legacy twice). Route `ignore` paths are dropped too.
 */
export function judge(legacy: ShadowAnswer, legacyAgain: ShadowAnswer | null, extracted: ShadowAnswer, config: CompareConfig, knownNoise: ReadonlySet<string> = new Set()): Verdict {
  const parsed = new ParsedBodies(config);
  return verdictFor(differences(legacy, extracted, config, parsed), legacyAgain ? noiseBetween(legacy, legacyAgain, config, parsed) : [], config, knownNoise);
}

/** The paths at which two answers of legacy to the same request differ (ignored paths left out). */
export function noiseBetween(legacy: ShadowAnswer, legacyAgain: ShadowAnswer, config: CompareConfig, parsed = new ParsedBodies(config)): string[] {
  // Legacy's body past the cap is cut on both its answers: that is not legacy disagreeing with itself.
  return differences(legacy, legacyAgain, config, parsed).filter((p) => p !== TRUNCATED_BODY);
}

/**
 * Sorts the differences between legacy and extracted (`found`, from `differences`) into
 * mismatches and noise. Split from `judge` so the mirror can judge once with known noise and, only
 * if mismatches remain, again with a second legacy answer, without diffing the bodies twice.
 */
export function verdictFor(found: readonly string[], noise: readonly string[], config: CompareConfig, knownNoise: ReadonlySet<string>): Verdict {
  // This request's own noise explains the very paths it was seen at (per field, element or line,
  // never the whole body); known noise, learned across requests, explains its field at any index.
  const noisy = noiseIndex(noise, knownNoise);
  const mismatches: string[] = [];
  const explained: string[] = [];
  for (const path of found) {
    if (path === TRUNCATED_BODY || isIgnored(path, config.ignore)) continue;
    (explains(noisy, path) ? explained : mismatches).push(path);
  }
  const truncated = found.includes(TRUNCATED_BODY);
  const outcome = mismatches.length > 0 ? 'mismatch' : truncated ? 'truncated' : 'match';
  // Noise: what legacy's second answer showed, plus known noise that explained a difference now.
  return { mismatches, noise: [...new Set([...noise, ...explained])], truncated, outcome };
}
