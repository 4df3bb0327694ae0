/**
 * The comparison corpus (corpus/*.yaml, described in corpus/README.md): answer pairs that must
 * compare equal and pairs that must differ, each decoded and judged as the shadow worker does.
 * The last test sums up: no false alarm (an equal pair reported different), no miss (a different
 * pair reported equal, or at the wrong path).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { parse } from 'yaml';
import { judge, type ShadowAnswer } from '../compare/compare';
import { decodeAnswer } from '../decode-answer';

type Side = 'legacy' | 'extracted';
interface CorpusCase {
  name: string;
  type?: string;
  legacyType?: string;
  extractedType?: string;
  legacy: string;
  extracted: string;
  again?: string;
  encoding?: Partial<Record<Side, 'gzip' | 'br' | 'deflate' | 'deflate-raw' | 'corrupt-gzip'>>;
  charset?: Partial<Record<Side, 'utf8' | 'latin1'>>;
  status?: Partial<Record<Side, number>>;
  config?: { ignore?: string[]; arrayKeys?: Record<string, string>; normalisers?: string[] };
  cap?: number;
  expect: 'equal' | 'truncated' | string[];
}

const DIR = path.join(__dirname, 'corpus');
const cases = fs.readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort()
  .flatMap((file) => (parse(fs.readFileSync(path.join(DIR, file), 'utf8')) as CorpusCase[]).map((c) => ({ file, ...c })));

const ENCODE = {
  gzip: (b: Buffer) => zlib.gzipSync(b), br: (b: Buffer) => zlib.brotliCompressSync(b), deflate: (b: Buffer) => zlib.deflateSync(b),
  'deflate-raw': (b: Buffer) => zlib.deflateRawSync(b), 'corrupt-gzip': (b: Buffer) => Buffer.concat([Buffer.from('not gzip:'), b]),
};

/** One side's answer as it would come over the wire (encoded, cut at the cap), then decoded. */
function answer(c: CorpusCase, side: Side, text: string): ShadowAnswer {
  const cap = c.cap ?? 256 * 1024;
  const encoding = c.encoding?.[side];
  let bytes = Buffer.from(text, c.charset?.[side] ?? 'utf8');
  if (encoding) bytes = ENCODE[encoding](bytes);
  const headers: Record<string, string> = { 'content-type': (side === 'legacy' ? c.legacyType : c.extractedType) ?? c.type ?? 'application/json' };
  if (encoding) headers['content-encoding'] = encoding === 'deflate-raw' ? 'deflate' : encoding === 'corrupt-gzip' ? 'gzip' : encoding;
  return decodeAnswer({ status: c.status?.[side] ?? 200, headers, body: bytes.subarray(0, cap), truncated: bytes.length > cap, ms: 1 }, cap);
}

function verdictOf(c: CorpusCase): { outcome: string; mismatches: readonly string[] } {
  const config = { ignore: c.config?.ignore ?? [], arrayKeys: c.config?.arrayKeys ?? {}, normalisers: c.config?.normalisers ?? [] };
  return judge(answer(c, 'legacy', c.legacy), answer(c, 'legacy', c.again ?? c.legacy), answer(c, 'extracted', c.extracted), config);
}

test('the corpus has cases that must stay equal and cases that must differ', () => {
  expect(cases.filter((c) => c.expect === 'equal').length).toBeGreaterThanOrEqual(15);
  expect(cases.filter((c) => Array.isArray(c.expect)).length).toBeGreaterThanOrEqual(20);
});

describe.each(cases)('$file: $name', (c) => {
  test(c.expect === 'equal' ? 'equal' : c.expect === 'truncated' ? 'not compared: truncated' : `differs at ${(c.expect as string[]).join(', ')}`, () => {
    const verdict = verdictOf(c);
    if (c.expect === 'equal') expect(verdict).toMatchObject({ outcome: 'match', mismatches: [] });
    else if (c.expect === 'truncated') expect(verdict).toMatchObject({ outcome: 'truncated', mismatches: [] });
    else expect(verdict).toMatchObject({ outcome: 'mismatch', mismatches: c.expect });
  });
});

test('no false alarm and no miss over the whole corpus', () => {
  const falseAlarms = cases.filter((c) => c.expect === 'equal' && verdictOf(c).outcome !== 'match').map((c) => c.name);
  const misses = cases.filter((c) => Array.isArray(c.expect) && JSON.stringify(verdictOf(c).mismatches) !== JSON.stringify(c.expect)).map((c) => c.name);
  expect({ falseAlarms, misses }).toEqual({ falseAlarms: [], misses: [] });
});
