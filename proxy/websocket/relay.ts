import type http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import httpProxy from 'http-proxy';
import { classifyError, type ForwardFailure } from '../forward/failure';
import { CLOSE_GOING_AWAY, closeFrame, FrameBoundary } from './frames';

/**
 * WebSocket tunnels through http-proxy's `ws()` (lib/http-proxy/passes/ws-incoming.js, 1.18.1),
 * with guards around the defects of that pass. Each guard has a test in
 * proxy/test/e2e/websocket-defects.e2e.test.ts that crashes or leaks without it:
 *
 * 1. The client socket has no 'error' listener until the upstream answers (Node removes its own
 *    at the upgrade): a client reset during the handshake is an uncaught exception
 *    (node-http-proxy#1468, #1439). We listen from the first moment.
 * 2. A client that leaves during the handshake does not abort the upstream request, which waits
 *    for its answer. We abort it at once.
 * 3. A non-101 answer is written raw: the upstream's hop-by-hop headers and `Transfer-Encoding:
 *    chunked` over a body that `res.pipe` has de-chunked, so the shopper reads a broken answer
 *    (and a client already gone makes it a write after end, #1342, #1432). We relay the answer
 *    ourselves, framed by its length.
 * 4. No deadline: `timeout` / `proxyTimeout` do not apply to `ws()`, so an upstream that never
 *    answers holds both sockets forever. Ours is the route's `timeout_ms` (504).
 * 5. After the upgrade, a failed or ended side only `end()`s the other: a peer that never closes
 *    its half (a vanished phone, a half-open upstream) keeps the socket for good (#559). Both are
 *    destroyed once either side is gone, at most LINGER_MS after a clean end.
 * 6. The path is joined with the target by `urlJoin`, which collapses `//` and turns `http:/` into
 *    `http://`: the path matched would not be the path sent. We send the path as received.
 * 7. The 101 carries the upstream's headers as they are (any `x-strangler-*`, hop-by-hop
 *    headers such as a `Transfer-Encoding` that breaks clients); ours are cleaned and marked.
 */

/** A side that ended or failed has this long to finish closing before it is destroyed. */
export const LINGER_MS = 2000;
/** A declined handshake's body is relayed up to this size; a longer one is left out. */
const MAX_DECLINED_BODY = 64 * 1024;

export type HandshakeFailure = ForwardFailure | 'shutdown';

export type HandshakeOutcome =
  | { readonly kind: 'open' }
  /** The upstream answered without upgrading; its answer is relayed as it is. */
  | { readonly kind: 'declined'; readonly status: number; readonly headers: readonly string[]; readonly body: Buffer }
  | { readonly kind: 'failed'; readonly failure: HandshakeFailure; readonly error: Error | null };

export interface TunnelClosed {
  /** Who ended the tunnel first. */
  readonly by: 'client' | 'upstream' | 'shutdown';
  readonly seconds: number;
}

export interface TunnelRequest {
  readonly req: http.IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
  /** `http://host:port` of the side that serves this connection. */
  readonly origin: string;
  /** Forwarded exactly as received (path and query). */
  readonly path: string;
  /** Every header the upstream receives (already cleaned), Upgrade and Connection included. */
  readonly headers: http.IncomingHttpHeaders;
  readonly timeoutMs: number;
  /** The shopper's 101 headers made from the upstream's (flat, lower-case names). */
  readonly answerHeaders: (upstream: readonly string[]) => readonly string[];
  /**
   * Called once, synchronously, with how the handshake went. A failure's answer must be written
   * before it returns: http-proxy ends the client socket right after.
   */
  readonly onHandshake: (outcome: HandshakeOutcome) => void;
  /** Called once both sockets of an opened tunnel are closed. */
  readonly onClosed: (closed: TunnelClosed) => void;
}

function lowerFlat(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) out.push(raw[i].toLowerCase(), raw[i + 1]);
  return out;
}

function headerObject(flat: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const seen = out[flat[i]];
    out[flat[i]] = seen === undefined ? flat[i + 1] : Array.isArray(seen) ? [...seen, flat[i + 1]] : [seen, flat[i + 1]];
  }
  return out;
}

const released = new WeakSet<Duplex>();

/** Ends a socket and destroys it once its peer has closed too, or LINGER_MS later. */
function release(socket: Duplex): void {
  if (socket.destroyed || released.has(socket)) return;
  released.add(socket);
  const drop = (): void => { socket.destroy(); };
  socket.once('end', drop);
  setTimeout(drop, LINGER_MS).unref();
  socket.end();
  socket.resume();
}

class Tunnel {
  private settled = false;
  private opened = false;
  private closing = false;
  private closeSent = false;
  private finished = false;
  private timer: NodeJS.Timeout | null = null;
  private proxyReq: http.ClientRequest | null = null;
  private upstream: net.Socket | null = null;
  private clientClosed = false;
  private upstreamClosed = false;
  private by: TunnelClosed['by'] | null = null;
  private openedAt = 0;
  /** Frame boundaries of what went to the client and to the upstream (for the shutdown close). */
  private readonly toClient = new FrameBoundary();
  private readonly toUpstream = new FrameBoundary();

  constructor(private readonly request: TunnelRequest, private readonly hooks: { upgraded(upstream: Duplex): void; done(): void }) {}

  start(proxy: httpProxy): void {
    const { req, socket, head } = this.request;
    socket.on('error', () => undefined); // guard 1; 'close' follows and says the rest
    socket.on('close', () => this.clientGone());
    this.timer = setTimeout(() => this.timedOut(), this.request.timeoutMs);
    // http-proxy builds its request from the shopper's headers: the cleaned set replaces them.
    req.headers = this.request.headers;
    proxy.ws(req, socket, head, { target: this.request.origin }, (error: Error) => this.proxyFailed(error));
  }

  /** From http-proxy's 'proxyReqWs': the upstream request, before its headers are sent. */
  attach(proxyReq: http.ClientRequest): void {
    this.proxyReq = proxyReq;
    proxyReq.path = this.request.path; // guard 6
    // Runs before http-proxy's own 'upgrade' listener (added after this event), which writes the 101.
    proxyReq.on('upgrade', (res: http.IncomingMessage, upstream: net.Socket) => this.upgraded(res, upstream));
    // Guard 3: http-proxy's 'response' listener is added after this event returns; the request is
    // sent only then, so no answer can arrive before this microtask swaps it for ours.
    queueMicrotask(() => {
      proxyReq.removeAllListeners('response');
      proxyReq.on('response', (res: http.IncomingMessage) => this.declined(res));
    });
    if (this.settled) proxyReq.destroy();
  }

  /**
   * From http-proxy's 'open', once it has piped the two sockets. Only now may we read along: a
   * 'data' listener added before its pipe would take the bytes the upstream sent with its 101
   * (which http-proxy unshifts) while nobody relays them.
   */
  relaying(): void {
    if (this.upstream === null) return;
    this.upstream.on('data', (chunk: Buffer) => this.fromUpstream(chunk));
    this.request.socket.on('data', (chunk: Buffer) => { if (!this.closing) this.toUpstream.feed(chunk); });
  }

  private settle(outcome: HandshakeOutcome): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.request.onHandshake(outcome);
  }

  private upgraded(res: http.IncomingMessage, upstream: net.Socket): void {
    if (this.settled) { upstream.destroy(); return; }
    const { socket } = this.request;
    this.upstream = upstream;
    this.hooks.upgraded(upstream);
    upstream.on('close', () => this.upstreamGone());
    upstream.on('end', () => this.halfClosed());
    socket.on('end', () => this.halfClosed());
    // Guard 7: http-proxy writes the 101 from these.
    res.headers = { ...headerObject(this.request.answerHeaders(lowerFlat(res.rawHeaders))), upgrade: 'websocket', connection: 'Upgrade' };
    this.opened = true;
    this.openedAt = performance.now();
    this.settle({ kind: 'open' });
  }

  private declined(res: http.IncomingMessage): void {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_DECLINED_BODY) chunks.push(chunk);
    });
    res.on('end', () => {
      const body = size <= MAX_DECLINED_BODY ? Buffer.concat(chunks) : Buffer.alloc(0);
      this.settle({ kind: 'declined', status: res.statusCode ?? 502, headers: lowerFlat(res.rawHeaders), body });
      // The connection was opened for this handshake alone (no agent): nothing reuses it.
      this.proxyReq?.destroy();
    });
    res.on('close', () => {
      if (!res.complete) this.settle({ kind: 'failed', failure: 'reset', error: null });
    });
  }

  /** http-proxy's error callback: the upstream request failed, or the upstream socket after the 101. */
  private proxyFailed(error: Error): void {
    if (!this.settled) { this.settle({ kind: 'failed', failure: classifyError(error), error }); return; }
    // After the 101 the upstream socket's 'close' follows and releases the client (guard 5).
  }

  private timedOut(): void {
    this.settle({ kind: 'failed', failure: 'timeout', error: null });
    this.proxyReq?.destroy();
  }

  private clientGone(): void {
    this.clientClosed = true;
    if (!this.settled) {
      this.settle({ kind: 'failed', failure: 'client-gone', error: null });
      this.proxyReq?.destroy(); // guard 2
    }
    this.by ??= 'client';
    if (this.upstream !== null) release(this.upstream); // guard 5
    this.maybeDone();
  }

  private upstreamGone(): void {
    this.upstreamClosed = true;
    this.by ??= 'upstream';
    release(this.request.socket); // guard 5
    this.maybeDone();
  }

  /** A side sent its FIN: the pipe ends the other; both get LINGER_MS to finish closing (guard 5). */
  private halfClosed(): void {
    if (!this.opened) return;
    setTimeout(() => this.destroyBoth(), LINGER_MS).unref();
  }

  destroy(): void {
    this.proxyReq?.destroy();
    this.destroyBoth();
  }

  private destroyBoth(): void {
    this.request.socket.destroy();
    this.upstream?.destroy();
  }

  private maybeDone(): void {
    if (this.finished || !this.clientClosed || (this.upstream !== null && !this.upstreamClosed)) return;
    this.finished = true;
    this.hooks.done();
    if (this.opened) this.request.onClosed({ by: this.by ?? 'client', seconds: (performance.now() - this.openedAt) / 1000 });
  }

  private fromUpstream(chunk: Buffer): void {
    if (!this.closing) { this.toClient.feed(chunk); return; }
    if (this.closeSent) return;
    // Shutting down mid-frame: the rest of the frame goes to the client, then our close frame.
    const { socket } = this.request;
    const end = this.toClient.untilBoundary(chunk);
    if (end === -1) { socket.write(chunk); return; }
    socket.write(chunk.subarray(0, end));
    this.closeClient();
  }

  /**
   * Shutdown: a handshake in progress is aborted (503); an open tunnel stops relaying, the client
   * gets a close frame 1001 once the frame in flight to it is complete, and the upstream side is
   * ended (with a close frame 1001 of its own when it is between frames).
   */
  goingAway(): void {
    if (!this.settled) {
      this.settle({ kind: 'failed', failure: 'shutdown', error: null });
      this.proxyReq?.destroy();
      return;
    }
    if (!this.opened || this.closing || this.upstream === null) return;
    this.closing = true;
    this.by = 'shutdown';
    const { socket } = this.request;
    const upstream = this.upstream;
    socket.unpipe(upstream);
    upstream.unpipe(socket);
    if (this.toUpstream.atBoundary) upstream.write(closeFrame(CLOSE_GOING_AWAY, 'proxy shutting down', true));
    if (this.toClient.atBoundary) {
      this.closeClient();
    } else {
      upstream.resume(); // the rest of the frame in flight is read and passed on (fromUpstream)
      upstream.end();
      setTimeout(() => this.destroyBoth(), LINGER_MS).unref();
    }
  }

  private closeClient(): void {
    this.closeSent = true;
    const { socket } = this.request;
    if (!socket.destroyed && socket.writable) socket.write(closeFrame(CLOSE_GOING_AWAY, 'proxy shutting down', false));
    release(socket);
    if (this.upstream !== null) release(this.upstream);
  }
}

/** One http-proxy server for every WebSocket tunnel of this proxy process. */
export class WebSocketRelay {
  private readonly proxy = httpProxy.createProxyServer({ ws: true, xfwd: false, toProxy: true, prependPath: false });
  private readonly tunnels = new Set<Tunnel>();
  private readonly byRequest = new WeakMap<http.IncomingMessage, Tunnel>();
  private readonly byUpstream = new WeakMap<Duplex, Tunnel>();
  private readonly emptied = new Set<() => void>();

  constructor() {
    // http-proxy throws from its 'error' event when only its own listener is there; every ws()
    // call passes a callback, so this never fires, but a throw would take the process down.
    this.proxy.on('error', () => undefined);
    this.proxy.on('proxyReqWs', (proxyReq: http.ClientRequest, req: http.IncomingMessage) => { this.byRequest.get(req)?.attach(proxyReq); });
    this.proxy.on('open', (upstream: Duplex) => { this.byUpstream.get(upstream)?.relaying(); });
  }

  open(request: TunnelRequest): void {
    const tunnel = new Tunnel(request, {
      upgraded: (upstream) => this.byUpstream.set(upstream, tunnel),
      done: () => this.forget(tunnel),
    });
    this.tunnels.add(tunnel);
    this.byRequest.set(request.req, tunnel);
    tunnel.start(this.proxy);
  }

  /** Tunnels not yet fully closed (handshakes included). */
  get size(): number {
    return this.tunnels.size;
  }

  /** Closes every tunnel (close code 1001); resolves once all are gone, at most 2 × LINGER_MS later. */
  goingAway(): Promise<void> {
    for (const tunnel of [...this.tunnels]) tunnel.goingAway();
    if (this.tunnels.size === 0) return Promise.resolve();
    // Whatever is still open then (an answer the client never reads) is cut.
    const cut = setTimeout(() => { for (const tunnel of this.tunnels) tunnel.destroy(); }, 2 * LINGER_MS);
    return new Promise((resolve) => this.emptied.add(() => { clearTimeout(cut); resolve(); }));
  }

  private forget(tunnel: Tunnel): void {
    this.tunnels.delete(tunnel);
    if (this.tunnels.size > 0) return;
    for (const resolve of this.emptied) resolve();
    this.emptied.clear();
  }
}
