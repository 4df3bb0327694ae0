import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An upstream with a fixed pool, as a monolith behind a small worker pool is: at most `workers`
 * requests are served at once, each takes `serviceMs` (changeable while running), and the rest
 * wait in its own first-come queue, however long that grows. It answers 200 with a small JSON body
 * naming the path. Used by the overload tests and the bench's overload section.
 */
export interface PooledUpstream {
  readonly url: string;
  readonly port: number;
  /** Requests it has started serving (each one the proxy sent). */
  readonly served: number;
  /** The most that waited in its own queue at once. */
  readonly peakQueued: number;
  serviceMs: number;
  close(): Promise<void>;
}

export async function startPooledUpstream(workers: number, serviceMs: number): Promise<PooledUpstream> {
  let busy = 0;
  let served = 0;
  let peakQueued = 0;
  const queue: Array<() => void> = [];
  const state = { serviceMs };
  const release = (): void => {
    busy--;
    const next = queue.shift();
    if (next !== undefined) next();
  };
  const server = http.createServer((req, res) => {
    const work = (): void => {
      busy++;
      served++;
      setTimeout(() => {
        const body = JSON.stringify({ path: req.url, servedAt: Date.now() });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        release();
      }, state.serviceMs);
    };
    req.resume();
    req.on('end', () => {
      if (busy < workers) work();
      else { queue.push(work); peakQueued = Math.max(peakQueued, queue.length); }
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get served() { return served; },
    get peakQueued() { return peakQueued; },
    get serviceMs() { return state.serviceMs; },
    set serviceMs(ms: number) { state.serviceMs = ms; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
