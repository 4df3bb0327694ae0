import http from 'node:http';
import type { Duplex } from 'node:stream';

export interface ShopperServerOptions {
  /** Time allowed for a client to send all request headers (slowloris guard). */
  headersTimeoutMs: number;
  /** Time allowed for a client to send the whole request. */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export const DEFAULT_SHOPPER_SERVER_OPTIONS: ShopperServerOptions = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000 };

function refuseRaw(socket: Duplex, status: string): void {
  const body = '{"error":{"code":"STRANGLER_ERR_BAD_REQUEST","message":"CONNECT and protocol upgrades are not supported"}}';
  socket.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
}

/** The shopper-facing HTTP server: tight timeouts so slow clients cannot hold sockets. */
export function createShopperServer(handler: http.RequestListener, options: ShopperServerOptions = DEFAULT_SHOPPER_SERVER_OPTIONS): http.Server {
  const server = http.createServer({
    headersTimeout: options.headersTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    requireHostHeader: true,
  }, handler);
  // CONNECT is for forward proxies; we are a reverse proxy (RFC 9110 §9.3.6).
  server.on('connect', (_req: http.IncomingMessage, socket: Duplex) => refuseRaw(socket, '400 Bad Request'));
  // With this listener Node hands us upgrades here instead of crashing on a refused one; no WebSocket, no h2c.
  server.on('upgrade', (_req: http.IncomingMessage, socket: Duplex) => refuseRaw(socket, '501 Not Implemented'));
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    if (!socket.writable) { socket.destroy(); return; }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
  });
  return server;
}
