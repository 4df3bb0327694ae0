import { applyTextNormalisers } from './normalise';

/**
 * Text bodies (CSS, JavaScript, XML, plain text) compared line by line, so that a line that
 * changes on every render is noise on its own and does not hide a real change on another line:
 * `body.line#n`, n from 1 as editors count. Not `[n]`: each line is a field of its own, so noise
 * judged across requests on one line never covers the others. A line added or removed shifts the
 * lines after it.
 */
export function diffTextLines(a: string, b: string, normalisers: readonly string[]): string[] {
  const left = applyTextNormalisers(a, normalisers).split(/\r?\n/);
  const right = applyTextNormalisers(b, normalisers).split(/\r?\n/);
  const out: string[] = [];
  for (let i = 0; i < Math.max(left.length, right.length); i++) if (left[i] !== right[i]) out.push(`body.line#${i + 1}`);
  return out;
}
