import http from 'node:http';

/**
 * The benchmark's upstream: ~2 KB of JSON on every path, keep-alive. `node upstream-server.js
 * PORT [DELAY_MS]`; prints `listening PORT` once ready. A delay makes it the slow shadow side.
 */
const delay = Number(process.argv[3] ?? 0);
const item = { id: 1, name: 'Everyday Mug 01', description: 'x'.repeat(120), price: { amount: 1299, currency: 'USD', exponent: 2 } };
const body = Buffer.from(JSON.stringify({ items: Array.from({ length: 8 }, (_, i) => ({ ...item, id: i + 1 })), generatedAt: '2026-01-01T00:00:00Z' }));
const server = http.createServer((req, res) => {
  req.resume();
  const send = (): void => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }); res.end(body); };
  if (delay > 0) setTimeout(send, delay); else send();
});
server.keepAliveTimeout = 5000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
