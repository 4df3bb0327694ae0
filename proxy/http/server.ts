import http from 'node:http';
import type { Duplex } from 'node:stream';
import { requestIdOf } from './request-ids';
import { sendSocketError } from './respond-socket';

export interface ShopperServerOptions {
  /** Time allowed for a client to send all request headers (slowloris guard). */
  headersTimeoutMs: number;
  /** Time allowed for a client to send the whole request. */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

/** Header fields a request may carry; one more and the handler refuses it with 431. */
export const MAX_HEADER_FIELDS = 500;

export const DEFAULT_SHOPPER_SERVER_OPTIONS: ShopperServerOptions = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000 };

function refuseRaw(socket: Duplex, status: string): void {
  const body = '{"error":{"code":"STRANGLER_ERR_BAD_REQUEST","message":"CONNECT is not supported: this is a reverse proxy"}}';
  socket.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
}

type ServerSocket = Duplex & { _httpMessage?: http.ServerResponse | null };

/**
 * Runs `then` once the responses to complete requests ahead of a malformed one on this socket are
 * written. `then` gets false when one of them already closed the connection (nothing more may be
 * written). A response whose own request is the malformed one is not waited for.
 */
function afterPendingResponses(socket: ServerSocket, then: (open: boolean) => void): void {
  // Node's own name for the response currently attached to a server socket.
  const pending = socket._httpMessage;
  if (pending == null) { then(true); return; }
  const closes = (): boolean => !pending.shouldKeepAlive || /close/i.test(String(pending.getHeader('connection') ?? ''));
  if (pending.writableFinished || pending.destroyed) { then(!closes()); return; }
  if (!pending.req.complete) { then(true); return; }
  let moved = false;
  const next = (): void => {
    if (moved) return;
    moved = true;
    if (closes()) { then(false); return; }
    // Node's own 'finish' listener (added first) has attached the next queued response by now.
    setImmediate(() => afterPendingResponses(socket, then));
  };
  pending.once('finish', next);
  pending.once('close', next);
}

/** What the server does with an upgrade handshake (`Connection: upgrade` with `Upgrade`). */
export type UpgradeListener = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Without WebSocket routes every upgrade is refused: 501, then the connection closes. */
const REFUSE_UPGRADES: UpgradeListener = (req, socket) => {
  socket.on('error', () => undefined);
  sendSocketError(socket, 'STRANGLER_ERR_UPGRADE_UNSUPPORTED', { requestId: requestIdOf(req.headers), route: null, backend: null, setCookie: null });
};

/**
 * The response class of a server that says `Connection: close` once it stops listening (it is
 * draining): a keep-alive client then opens its next connection elsewhere (another instance, or
 * the restarted proxy) instead of sending more requests down a connection that is about to close.
 * Decided at writeHead, so a request already in flight when the drain begins is marked too.
 * `shouldKeepAlive = false` makes Node write the header itself and close the socket after the
 * response; setting the header instead would make writeHead merge a header list one setHeader at
 * a time, and the second of two `set-cookie` would replace the first.
 */
function drainAwareResponse(draining: () => boolean): typeof http.ServerResponse {
  class DrainAwareResponse extends http.ServerResponse {
    override writeHead(status: number, reasonOrHeaders?: string | http.OutgoingHttpHeaders | http.OutgoingHttpHeader[], headers?: http.OutgoingHttpHeaders | http.OutgoingHttpHeader[]): this {
      if (draining()) this.shouldKeepAlive = false;
      return typeof reasonOrHeaders === 'string' ? super.writeHead(status, reasonOrHeaders, headers) : super.writeHead(status, reasonOrHeaders);
    }
  }
  // @types/node declares the option generic over the request type; the server only makes plain IncomingMessages.
  return DrainAwareResponse as typeof http.ServerResponse;
}

/** The shopper-facing HTTP server: tight timeouts so slow clients cannot hold sockets, `Connection: close` while draining. */
export function createShopperServer(handler: http.RequestListener, options: ShopperServerOptions = DEFAULT_SHOPPER_SERVER_OPTIONS, onUpgrade: UpgradeListener = REFUSE_UPGRADES): http.Server {
  const server: http.Server = http.createServer({
    // Asked at each response, once `server` exists: not listening any more means draining.
    ServerResponse: drainAwareResponse((): boolean => !server.listening),
    headersTimeout: options.headersTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    // How often Node looks for connections past those timeouts (its default, 30 s, would let a
    // slowloris client hold a socket up to 30 s beyond the limit).
    connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(options.headersTimeoutMs / 4))),
    requireHostHeader: true,
  }, handler);
  // Node drops fields past maxHeadersCount without a word; keep one extra so the handler can tell.
  server.maxHeadersCount = MAX_HEADER_FIELDS + 1;
  // CONNECT is for forward proxies; we are a reverse proxy (RFC 9110 §9.3.6).
  server.on('connect', (_req: http.IncomingMessage, socket: Duplex) => refuseRaw(socket, '400 Bad Request'));
  // With this listener Node hands us upgrades here: WebSocket on the routes that allow it, 501 for the rest (h2c always).
  server.on('upgrade', onUpgrade);
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    // A malformed request pipelined behind good ones: the good ones are answered first, then
    // the 400, then the connection closes. Nothing after the bad bytes is ever read.
    afterPendingResponses(socket, (open) => {
      if (!open || !socket.writable) { socket.destroy(); return; }
      socket.end(`HTTP/1.1 ${status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
    });
  });
  return server;
}
