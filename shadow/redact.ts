import { JsonNumber, parseJsonLossless, stringifyJson, type JsonObject, type JsonValue } from './compare/json-lossless';

/**
 * Redaction before anything is stored: secrets never reach the diff store, its report or a log.
 * Card numbers are any 13–19 digit run (spaces or dashes allowed) that passes Luhn; e-mail
 * addresses anywhere; query parameters and JSON fields whose names say they are secret.
 */
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const DIGIT_RUN = /\d(?:[ -]?\d){12,18}/g;
/**
 * Names that say a value is secret, by what it is: passwords, tokens, credentials, sessions, card
 * data, one-time and verification codes, e-mail. Not a bare word like `code`, which in a JSON
 * answer is usually an error or product code (`not_found`), and not words that merely contain one
 * (`author`, `inside`).
 */
const SECRET_FIELD = /pass(word)?|secret|token|auth(?!ors?$)|credential|session|^sid$|cvc|cvv|card|otp|api[-_]?key|^key$|(auth|verification|reset|mfa|2fa|one[-_]?time)[-_]?code|email/i;
/** In a query string `code` is also OAuth's authorization code (RFC 6749 §4.1.2), so it is blanked there. */
const SECRET_QUERY = new RegExp(`${SECRET_FIELD.source}|^code$`, 'i');
export const SECRET_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-strangler-token']);

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Masks e-mail addresses and Luhn-valid card numbers in free text. */
export function redactText(text: string): string {
  return text
    .replace(EMAIL, '[email]')
    .replace(DIGIT_RUN, (run) => {
      const digits = run.replace(/[ -]/g, '');
      return digits.length >= 13 && digits.length <= 19 && luhn(digits) ? '[card]' : run;
    });
}

/** A path with query: secret-named parameters blanked, the rest scanned as text. */
export function redactTarget(target: string): string {
  const q = target.indexOf('?');
  if (q === -1) return redactText(target);
  const params = target.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    let decoded = name;
    try { decoded = decodeURIComponent(name); } catch { /* keep as is */ }
    if (eq !== -1 && SECRET_QUERY.test(decoded)) return `${name}=[redacted]`;
    // Scanned as sent and as decoded: `ann%40example.com` is an e-mail address too.
    const plain = redactText(pair);
    if (plain !== pair || eq === -1) return plain;
    let value = pair.slice(eq + 1);
    try { value = decodeURIComponent(value.replace(/\+/g, ' ')); } catch { return plain; }
    const masked = redactText(value);
    return masked === value ? pair : `${name}=${masked}`;
  });
  return `${redactText(target.slice(0, q))}?${params.join('&')}`;
}

/**
 * A JSON value with secret-named fields replaced and every string scanned. Numbers keep their
 * text (a 19-digit card number written as a number is still seen whole, and a big id in a sample
 * reads as it was sent).
 */
export function redactJson(value: JsonValue): JsonValue {
  if (typeof value === 'string') return redactText(value);
  if (value instanceof JsonNumber) return /^\d{13,19}$/.test(value.source) && redactText(value.source) === '[card]' ? '[card]' : value;
  if (Array.isArray(value)) return value.map(redactJson);
  if (value !== null && typeof value === 'object') {
    const out = Object.create(null) as JsonObject;
    for (const [key, child] of Object.entries(value)) {
      out[key] = SECRET_FIELD.test(key) && (typeof child === 'string' || child instanceof JsonNumber) ? '[redacted]' : redactJson(child);
    }
    return out;
  }
  return value;
}

/** A body sample fit for storage: JSON redacted field by field, anything else as text; capped. */
export function redactBody(body: string, contentType: string | undefined, cap: number): string {
  let text = body;
  if (contentType?.includes('json')) {
    try { text = stringifyJson(redactJson(parseJsonLossless(body))); } catch { text = redactText(body); }
  } else {
    text = redactText(body).replace(/(name="(?:password|cvc|cardNumber|csrf[^"]*)"[^>]*value=")[^"]*/gi, '$1[redacted]');
  }
  return text.length > cap ? `${text.slice(0, cap)}…[truncated ${text.length - cap} chars]` : text;
}

/** Header names and values worth keeping for replay and reports; secrets never. */
export function safeHeaders(headers: Record<string, string | string[] | undefined>, keep: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of keep) {
    const value = headers[name];
    if (value !== undefined && !SECRET_HEADERS.has(name)) out[name] = redactText(Array.isArray(value) ? value.join(', ') : value);
  }
  return out;
}
