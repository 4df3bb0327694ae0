import crypto from 'node:crypto';
import { bodyKind, bodyText } from './body-kind';
import { diffJson, genericPath } from './json-diff';
import { parseJsonLossless } from './json-lossless';
import { applyTextNormalisers, normaliseHtml } from './normalise';

/** One side's answer as the comparison sees it: the body decoded (decode-answer.ts), at most the capture cap. */
export interface ShadowAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body with its Content-Encoding undone. */
  readonly body: Buffer;
  /** True when the body, as sent or once decoded, was longer than the capture cap. */
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

/** A body that could not be decoded (a corrupt gzip stream, an unknown Content-Encoding). */
export const UNDECODABLE_BODY = 'body(undecodable)';

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

function textOf(answer: ShadowAnswer): string {
  return bodyText(answer.body, header(answer, 'content-type'));
}

function bodyDiff(a: ShadowAnswer, b: ShadowAnswer, config: CompareConfig): string[] {
  if (a.undecodable !== null || b.undecodable !== null) {
    return a.undecodable !== null && b.undecodable !== null && a.body.equals(b.body) ? [] : [UNDECODABLE_BODY];
  }
  // The same bytes differ nowhere, whatever the content type: the common case costs no parse.
  if (a.body.equals(b.body) && a.truncated === b.truncated) return [];
  if (a.truncated || b.truncated) return ['body(truncated)'];
  const kind = bodyKind(header(a, 'content-type'));
  if (kind === 'json') {
    try {
      // Not JSON.parse: it rounds 9007199254740993 to ...992, so two different ids would compare equal.
      return diffJson(parseJsonLossless(textOf(a)), parseJsonLossless(textOf(b)), { arrayKeys: config.arrayKeys });
    } catch {
      return ['body'];
    }
  }
  if (kind === 'html') {
    const left = applyTextNormalisers(normaliseHtml(textOf(a)), config.normalisers);
    const right = applyTextNormalisers(normaliseHtml(textOf(b)), config.normalisers);
    return left === right ? [] : ['body(html)'];
  }
  if (kind === 'bytes') return ['body'];
  const hash = (s: string): string => crypto.createHash('sha256').update(s).digest('hex');
  return hash(applyTextNormalisers(textOf(a), config.normalisers)) === hash(applyTextNormalisers(textOf(b), config.normalisers)) ? [] : ['body'];
}

/** Every path at which two answers differ: status, compared headers, cookie names, body fields. */
export function differences(a: ShadowAnswer, b: ShadowAnswer, config: CompareConfig): string[] {
  const paths: string[] = [];
  if (a.status !== b.status) paths.push('status');
  for (const name of COMPARED_HEADERS) if (header(a, name).split(';')[0] !== header(b, name).split(';')[0]) paths.push(`headers.${name}`);
  if (cookieNames(a) !== cookieNames(b)) paths.push('headers.set-cookie');
  if (a.status === b.status) paths.push(...bodyDiff(a, b, config));
  return paths;
}

/** An ignore entry covers a path, its generic form (`[]` for indexes) and everything below it. */
export function isIgnored(path: string, ignore: readonly string[]): boolean {
  const generic = genericPath(path);
  return ignore.some((i) => [path, generic].some((p) => p === i || p.startsWith(`${i}.`) || p.startsWith(`${i}[`)));
}

export interface Verdict {
  /** Paths that differ between legacy and extracted and are neither ignored nor noise. */
  readonly mismatches: readonly string[];
  /** Paths that differed between two legacy answers, or that known noise explained. */
  readonly noise: readonly string[];
}

/**
 * Diffy's noise cancellation: a field that differs between two answers of legacy to the same
 * request is noise, not a mismatch. `knownNoise` carries what the route's earlier reads taught
 * (writes cannot be asked of legacy twice). Route `ignore` paths are dropped too.
 */
export function judge(legacy: ShadowAnswer, legacyAgain: ShadowAnswer | null, extracted: ShadowAnswer, config: CompareConfig, knownNoise: ReadonlySet<string> = new Set()): Verdict {
  return verdictFor(differences(legacy, extracted, config), legacyAgain ? noiseBetween(legacy, legacyAgain, config) : [], config, knownNoise);
}

/** The paths at which two answers of legacy to the same request differ (ignored paths left out). */
export function noiseBetween(legacy: ShadowAnswer, legacyAgain: ShadowAnswer, config: CompareConfig): string[] {
  return differences(legacy, legacyAgain, config).filter((p) => !isIgnored(p, config.ignore));
}

/**
 * Sorts the differences between legacy and extracted (`found`, from `differences`) into
 * mismatches and noise. Split from `judge` so the mirror can judge once with known noise and, only
 * if mismatches remain, again with a second legacy answer, without diffing the bodies twice.
 */
export function verdictFor(found: readonly string[], noise: readonly string[], config: CompareConfig, knownNoise: ReadonlySet<string>): Verdict {
  const noisy = new Set([...knownNoise, ...noise.flatMap((p) => [p, genericPath(p)])]);
  const mismatches: string[] = [];
  const explained: string[] = [];
  for (const path of found) {
    if (isIgnored(path, config.ignore)) continue;
    (noisy.has(path) || noisy.has(genericPath(path)) ? explained : mismatches).push(path);
  }
  // Noise: what legacy's second answer showed, plus known noise that explained a difference now.
  return { mismatches, noise: [...new Set([...noise, ...explained])] };
}
