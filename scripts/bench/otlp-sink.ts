import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local OTLP/HTTP endpoint for the bench: reads each export, answers 200, counts the requests. */
export async function startOtlpSink(): Promise<{ url: string; requests(): number; stop(): Promise<void> }> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => { requests++; res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/json' }).end(); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
