/**
 * Normalisers a route can name in `shadow.normalisers`, plus HTML normalisation: whitespace,
 * attribute order, CSRF tokens and nonces, so two renderings of the same page compare equal.
 */
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const TIMESTAMP = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})\b/g;

export function normaliseHtml(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, '')
    // Attributes sorted first, so `name` always comes before `value` for the token rule below.
    .replace(/<([a-zA-Z][\w-]*)(\s[^<>]*?)?(\/?)>/g, (_m, tag: string, attrs: string | undefined, close: string) => {
      if (!attrs) return `<${tag.toLowerCase()}${close}>`;
      const list = attrs.match(/[^\s=]+(?:="[^"]*"|='[^']*'|=[^\s"'>]+)?/g) ?? [];
      return `<${tag.toLowerCase()} ${list.sort().join(' ')}${close}>`;
    })
    .replace(/(name="(?:csrf[^"]*|_csrf|authenticity_token|idempotencyKey)"[^>]*?value=")[^"]*"/gi, '$1[token]"')
    .replace(/\snonce="[^"]*"/gi, ' nonce="[nonce]"')
    .replace(/>\s+</g, '><')
    .replace(/\s+/g, ' ')
    .trim();
}

export function applyTextNormalisers(text: string, normalisers: readonly string[]): string {
  let out = text;
  if (normalisers.includes('uuid')) out = out.replace(UUID, '[uuid]');
  if (normalisers.includes('timestamp')) out = out.replace(TIMESTAMP, '[timestamp]');
  return out;
}
