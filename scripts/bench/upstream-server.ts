import http from 'node:http';
import { bigAnswer } from './big-answer';
import { BIG_ANSWER_PATH, DOWNLOAD_PATH, UPLOAD_PATH, writeBigBody } from './bench-paths';

/**
 * The benchmark's upstream, keep-alive: ~2 KB of JSON on every path, except ~200 KB of JSON on
 * BIG_ANSWER_PATH, a 1 MiB body streamed in chunks on DOWNLOAD_PATH, and on a POST to UPLOAD_PATH
 * the length of the body it read. `node upstream-server.js PORT [DELAY_MS]`; prints `listening
 * PORT` once ready. A delay makes it the slow shadow side.
 */
const delay = Number(process.argv[3] ?? 0);
const item = { id: 1, name: 'Everyday Mug 01', description: 'x'.repeat(120), price: { amount: 1299, currency: 'USD', exponent: 2 } };
const body = Buffer.from(JSON.stringify({ items: Array.from({ length: 8 }, (_, i) => ({ ...item, id: i + 1 })), generatedAt: '2026-01-01T00:00:00Z' }));
const big = bigAnswer();
const chunk = Buffer.alloc(64 * 1024, 'strangler-bench-');

function json(res: http.ServerResponse, payload: Buffer): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': payload.length });
  res.end(payload);
}

/** BIG_BODY_BYTES in 64 KiB writes, chunked (no Content-Length), waiting for drain. */
function download(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  writeBigBody(res, chunk);
}

function upload(req: http.IncomingMessage, res: http.ServerResponse): void {
  let bytes = 0;
  req.on('data', (data: Buffer) => { bytes += data.length; });
  req.on('end', () => json(res, Buffer.from(JSON.stringify({ bytes }))));
}

const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  if (req.method === 'POST' && url === UPLOAD_PATH) { upload(req, res); return; }
  req.resume();
  const send = (): void => {
    if (url === DOWNLOAD_PATH) download(res);
    else json(res, url === BIG_ANSWER_PATH ? big : body);
  };
  if (delay > 0) setTimeout(send, delay); else send();
});
server.keepAliveTimeout = 5000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
