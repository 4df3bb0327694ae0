/** How a body is compared, from its Content-Type, and its text in the charset that type names. */
export type BodyKind = 'json' | 'html' | 'text' | 'bytes';

/** `application/json`, `application/problem+json`; `text/html`, `application/xhtml+xml`; text; anything else is bytes. */
export function bodyKind(contentType: string): BodyKind {
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (type.includes('json')) return 'json';
  if (type.includes('html')) return 'html';
  if (type.startsWith('text/') || /xml|javascript|ecmascript|csv|yaml/.test(type)) return 'text';
  return 'bytes';
}

/**
 * The body as text, decoded with the charset the Content-Type names (UTF-8 when it names none or
 * one this Node does not know). Decoding everything as UTF-8 would turn every invalid byte into
 * U+FFFD, so two ISO-8859-1 pages that differ only in `é` and `è` would compare equal.
 */
export function bodyText(body: Buffer, contentType: string): string {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    try {
      return new TextDecoder(charset).decode(body);
    } catch {
      // An unknown label: UTF-8, as a browser would fall back.
    }
  }
  return body.toString('utf8');
}
