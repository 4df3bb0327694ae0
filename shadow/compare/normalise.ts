/** Normalisers a route can name in `shadow.normalisers`: they mask values that change on every render in text and HTML bodies. */
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const TIMESTAMP = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})\b/g;

export function applyTextNormalisers(text: string, normalisers: readonly string[]): string {
  let out = text;
  if (normalisers.includes('uuid')) out = out.replace(UUID, '[uuid]');
  if (normalisers.includes('timestamp')) out = out.replace(TIMESTAMP, '[timestamp]');
  return out;
}
