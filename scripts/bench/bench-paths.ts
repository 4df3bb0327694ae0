/** The benchmark upstream's paths, shared by the server (upstream-server.ts) and the load side. */
export const ITEMS_PATH = '/api/items'; // ~2 KB of JSON (also served on every other GET)
export const BIG_ANSWER_PATH = '/api/big'; // ~200 KB of JSON (big-answer.ts)
export const DOWNLOAD_PATH = '/api/download'; // BIG_BODY_BYTES, streamed in chunks
export const UPLOAD_PATH = '/api/upload'; // POST: reads the body, answers {"bytes": length}
export const BIG_BODY_BYTES = 1024 * 1024;
