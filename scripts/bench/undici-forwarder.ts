import http from 'node:http';
import type { Writable } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';

/**
 * Contender (d): the smallest forwarder on undici — node:http in front, one undici Pool (256
 * connections, like (b)'s agent) behind, hop-by-hop headers dropped both ways and nothing else
 * done: the floor of an engine built on undici. `node undici-forwarder.js TARGET PORT`
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'transfer-encoding', 'expect']);
const pool = new Pool(process.argv[2], { connections: 256 });

function endToEnd(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  }
  return kept;
}

/** The response goes straight into the shopper's ServerResponse, which undici writes as it reads. */
function intoResponse({ statusCode, headers, opaque }: Dispatcher.StreamFactoryData<http.ServerResponse>): Writable {
  opaque.writeHead(statusCode, endToEnd(headers));
  return opaque;
}

const server = http.createServer((req, res) => {
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  pool.stream(
    { path: req.url ?? '/', method: req.method ?? 'GET', headers: endToEnd(req.headers), body: hasBody ? req : null, opaque: res },
    intoResponse,
    (error) => {
      if (!error) return;
      if (!res.headersSent) { res.writeHead(502); res.end(); } else res.destroy();
    },
  );
});
server.listen(Number(process.argv[3] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => { void pool.close().finally(() => process.exit(0)); }));
