import zlib from 'node:zlib';
import { judge, type ShadowAnswer } from '../compare/compare';
import { decodeAnswer, decodeContent, type WireAnswer } from '../decode-answer';

const PRODUCT = JSON.stringify({ id: 7, name: 'Café mug', price: 1299, tags: Array.from({ length: 50 }, (_, i) => `tag-${i}`) });
const CAP = 64 * 1024;
const config = { ignore: [], arrayKeys: {}, normalisers: [] };

function wire(body: Buffer, encoding?: string, truncated = false): WireAnswer {
  return { status: 200, headers: { 'content-type': 'application/json', ...(encoding ? { 'content-encoding': encoding } : {}) }, body, truncated, ms: 1 };
}
const decoded = (body: Buffer, encoding?: string): ShadowAnswer => decodeAnswer(wire(body, encoding), CAP);

describe('Content-Encoding undone before comparing', () => {
  test.each([
    ['gzip', zlib.gzipSync(PRODUCT)], ['x-gzip', zlib.gzipSync(PRODUCT)], ['deflate', zlib.deflateSync(PRODUCT)],
    ['deflate', zlib.deflateRawSync(PRODUCT)], ['br', zlib.brotliCompressSync(PRODUCT)], ['identity', Buffer.from(PRODUCT)],
    ['gzip, br', zlib.brotliCompressSync(zlib.gzipSync(PRODUCT))], ['GZIP', zlib.gzipSync(PRODUCT)],
  ])('%s', (encoding, bytes) => {
    const answer = decoded(bytes, encoding);
    expect(answer).toMatchObject({ truncated: false, undecodable: null });
    expect(answer.body.toString()).toBe(PRODUCT);
  });

  test('a gzip answer and a plain one with the same JSON match; a different price under gzip is a mismatch at its field', () => {
    const plain = decoded(Buffer.from(PRODUCT));
    const gzipped = decoded(zlib.gzipSync(PRODUCT), 'gzip');
    expect(judge(gzipped, null, plain, config)).toMatchObject({ mismatches: [] });
    expect(judge(decoded(zlib.brotliCompressSync(PRODUCT), 'br'), null, gzipped, config)).toMatchObject({ mismatches: [] });
    const cheaper = decoded(zlib.gzipSync(PRODUCT.replace('1299', '1199')), 'gzip');
    expect(judge(gzipped, null, cheaper, config).mismatches).toEqual(['body.price']);
  });

  test('an empty body is empty whatever encoding its headers name (HEAD, 204, 304)', () => {
    expect(decoded(Buffer.alloc(0), 'gzip')).toMatchObject({ truncated: false, undecodable: null, body: Buffer.alloc(0) });
  });

  test('a corrupt stream or an unknown coding is reported as undecodable, never thrown; compared with a decodable body it is a mismatch', () => {
    const corrupt = decoded(Buffer.from('this is not gzip'), 'gzip');
    expect(corrupt.undecodable).toMatch(/^gzip body cannot be decoded: incorrect header check/);
    const cut = zlib.gzipSync(PRODUCT);
    expect(decoded(cut.subarray(0, cut.length - 10), 'gzip').undecodable).toMatch(/unexpected end of file/);
    expect(decoded(Buffer.from('x'), 'zstd').undecodable).toBe('unsupported content-encoding "zstd"');
    expect(judge(decoded(Buffer.from(PRODUCT)), null, corrupt, config).mismatches).toEqual(['body(undecodable)']);
  });

  test('the capture cap applies to the bytes as sent and again to the decoded body', () => {
    // A body cut at the cap on the wire is not decoded (a cut stream cannot be): truncated.
    expect(decodeAnswer(wire(zlib.gzipSync(PRODUCT).subarray(0, 20), 'gzip', true), CAP)).toMatchObject({ truncated: true, undecodable: null });
    // 1 MB of zeros compresses to about 1 KB: within the cap as sent, past it once decoded.
    const bomb = zlib.gzipSync(Buffer.alloc(1024 * 1024));
    expect(bomb.length).toBeLessThan(CAP);
    expect(decodeAnswer(wire(bomb, 'gzip'), CAP)).toMatchObject({ truncated: true, undecodable: null });
    expect(decodeContent(bomb, 'gzip', CAP)).toEqual({ ok: false, tooLarge: true });
  });
});

test('a body is read in the charset its Content-Type names: two ISO-8859-1 pages differing only in é/è differ', () => {
  const latin1 = (text: string): ShadowAnswer => ({ status: 200, headers: { 'content-type': 'text/plain; charset=iso-8859-1' }, body: Buffer.from(text, 'latin1'), truncated: false, undecodable: null, ms: 1 });
  const utf8 = (text: string): ShadowAnswer => ({ status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.from(text), truncated: false, undecodable: null, ms: 1 });
  expect(judge(latin1('Crème brûlée'), null, latin1('Crème brülée'), config).mismatches).not.toEqual([]);
  // The same text in two charsets renders the same.
  expect(judge(latin1('Crème brûlée'), null, utf8('Crème brûlée'), config).mismatches).toEqual([]);
});
