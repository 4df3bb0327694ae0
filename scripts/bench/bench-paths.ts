/** The benchmark upstream's paths, shared by the server (upstream-server.ts) and the load side. */
export const ITEMS_PATH = '/api/items'; // ~2 KB of JSON (also served on every other GET)
export const BIG_ANSWER_PATH = '/api/big'; // ~200 KB of JSON (big-answer.ts)
export const DOWNLOAD_PATH = '/api/download'; // BIG_BODY_BYTES, streamed in chunks
export const UPLOAD_PATH = '/api/upload'; // POST: reads the body, answers {"bytes": length}
export const BIG_BODY_BYTES = 1024 * 1024;

/** Where a big body goes: a server response (downloads) or a client request (uploads). */
export interface BodySink { write(chunk: Buffer): boolean; once(event: 'drain', listener: () => void): unknown; end(): void }

/** Writes BIG_BODY_BYTES of `chunk` (64 KiB writes, waiting for drain), then ends `out`. */
export function writeBigBody(out: BodySink, chunk: Buffer): void {
  let sent = 0;
  const pump = (): void => {
    while (sent < BIG_BODY_BYTES) {
      const n = Math.min(chunk.length, BIG_BODY_BYTES - sent);
      sent += n;
      if (!out.write(n === chunk.length ? chunk : chunk.subarray(0, n))) { out.once('drain', pump); return; }
    }
    out.end();
  };
  pump();
}
