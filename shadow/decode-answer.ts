import zlib from 'node:zlib';
import type { ShadowAnswer } from './compare/compare';

/** An answer's body as it came over the wire (capped), with its Content-Encoding still applied. */
export interface WireAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  /** True when more bytes came than the capture cap kept. */
  readonly truncated: boolean;
  readonly ms: number;
}

export type DecodedContent =
  | { readonly ok: true; readonly body: Buffer }
  /** The decoded body would be longer than the cap: it is not compared, like a body cut at the cap. */
  | { readonly ok: false; readonly tooLarge: true }
  | { readonly ok: false; readonly tooLarge: false; readonly reason: string };

/**
 * Undoes a Content-Encoding (RFC 9110 §8.4: codings listed in the order they were applied, so they
 * are undone last first). gzip (and x-gzip), deflate, br and identity; `deflate` is accepted both
 * zlib-wrapped, as the RFC says, and raw, as some servers send it and browsers accept. At most
 * `maxBytes` are decoded, so a small compressed body cannot grow without bound in the worker.
 */
export function decodeContent(bytes: Buffer, contentEncoding: string | string[] | undefined, maxBytes: number): DecodedContent {
  const codings = (Array.isArray(contentEncoding) ? contentEncoding.join(',') : contentEncoding ?? '')
    .split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
  // A HEAD answer, a 204 or a 304 has no body, whatever encoding its headers name.
  if (codings.length === 0 || bytes.length === 0) return { ok: true, body: bytes };
  let body = bytes;
  for (const coding of [...codings].reverse()) {
    const options = { maxOutputLength: Math.max(1, maxBytes) };
    try {
      if (coding === 'gzip' || coding === 'x-gzip') body = zlib.gunzipSync(body, options);
      else if (coding === 'br') body = zlib.brotliDecompressSync(body, options);
      else if (coding === 'deflate') body = inflateEither(body, options);
      else return { ok: false, tooLarge: false, reason: `unsupported content-encoding "${coding}"` };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return { ok: false, tooLarge: true };
      return { ok: false, tooLarge: false, reason: `${coding} body cannot be decoded: ${(error as Error).message}` };
    }
  }
  return { ok: true, body };
}

function inflateEither(body: Buffer, options: zlib.ZlibOptions): Buffer {
  try {
    return zlib.inflateSync(body, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'Z_DATA_ERROR') throw error;
    return zlib.inflateRawSync(body, options);
  }
}

/**
 * The answer as the comparison sees it: the body decoded, off the shoppers' thread (in the shadow
 * worker, or in a CLI command). The capture cap bounds the bytes on the wire and again the decoded
 * body; a body past it either way is `truncated`. A body cut at the cap is not decoded at all: a
 * cut compressed stream cannot be.
 */
export function decodeAnswer(wire: WireAnswer, captureCap: number): ShadowAnswer {
  const base = { status: wire.status, headers: wire.headers, ms: wire.ms };
  if (wire.truncated) return { ...base, body: wire.body, truncated: true, undecodable: null };
  const decoded = decodeContent(wire.body, wire.headers['content-encoding'], captureCap);
  if (decoded.ok) return { ...base, body: decoded.body, truncated: false, undecodable: null };
  if (decoded.tooLarge) return { ...base, body: Buffer.alloc(0), truncated: true, undecodable: null };
  return { ...base, body: wire.body, truncated: false, undecodable: decoded.reason };
}
