import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';

export interface SeenHandshake { url: string; headers: http.IncomingHttpHeaders }

/** Takes over a handshake (returns true) or leaves it to the echo server (false). */
export type HandshakeOverride = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => boolean;

export interface WsUpstream {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  /** Every handshake that reached this upstream, taken over or not. */
  readonly handshakes: SeenHandshake[];
  /** The server side of every WebSocket it accepted. */
  readonly accepted: WebSocket[];
  /** Handshake connections (upgraded or held by an override) not yet closed; pooled HTTP connections do not count. */
  openSockets(): number;
  /** Header lines ("Name: value") the echo server adds to its 101. */
  readonly extra101Headers: string[];
  /** Replace how handshakes are answered (null: the echo server). */
  override(handler: HandshakeOverride | null): void;
  close(): Promise<void>;
}

/**
 * A real WebSocket server (ws) on an ephemeral port: greets each connection with
 * `{"servedBy":name,"url":…}` and echoes every message back, text as text, binary as binary.
 * Plain HTTP requests get a JSON answer naming it.
 */
export async function startWsUpstream(name: string): Promise<WsUpstream> {
  const handshakes: SeenHandshake[] = [];
  const accepted: WebSocket[] = [];
  let custom: HandshakeOverride | null = null;
  const sockets = new Set<Duplex>();
  const server = http.createServer((req, res) => {
    const body = JSON.stringify({ servedBy: name, url: req.url });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  const extra101Headers: string[] = [];
  wss.on('headers', (headers: string[]) => { headers.push(...extra101Headers); });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    handshakes.push({ url: req.url!, headers: req.headers });
    if (custom !== null && custom(req, socket, head)) return;
    wss.handleUpgrade(req, socket, head, (ws) => {
      accepted.push(ws);
      ws.on('error', () => undefined);
      ws.send(JSON.stringify({ servedBy: name, url: req.url }));
      ws.on('message', (data, isBinary) => { if (ws.readyState === WebSocket.OPEN) ws.send(data, { binary: isBinary }); });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    name, port, url: `http://127.0.0.1:${port}`, handshakes, accepted, extra101Headers,
    openSockets: () => sockets.size,
    override: (handler) => { custom = handler; },
    close: () => new Promise((resolve) => {
      for (const ws of wss.clients) ws.terminate();
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export interface WsClient {
  readonly ws: WebSocket;
  /** The 101 as the client read it. */
  readonly upgrade: http.IncomingMessage;
  /** The next message (waits for it), as a string for text, a Buffer for binary. */
  next(timeoutMs?: number): Promise<string | Buffer>;
  /** Resolves with the close code and reason once the connection is closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
}

export interface RefusedHandshake { status: number; headers: http.IncomingHttpHeaders; body: string }

/** Starts a handshake through the proxy: `result` is the open WebSocket or the refusal, whichever comes. */
export function connect(port: number, path: string, headers: Record<string, string>): { ws: WebSocket; result: Promise<WsClient | RefusedHandshake> } {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers, maxPayload: 16 * 1024 * 1024 });
  const messages: Array<string | Buffer> = [];
  const waiters: Array<(message: string | Buffer) => void> = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const message = isBinary ? data : data.toString('utf8');
    const waiter = waiters.shift();
    if (waiter) waiter(message); else messages.push(message);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
  const result = new Promise<WsClient | RefusedHandshake>((resolve, reject) => {
    let upgrade: http.IncomingMessage | null = null;
    ws.once('upgrade', (res: http.IncomingMessage) => { upgrade = res; });
    ws.once('open', () => resolve({
      ws, upgrade: upgrade!, closed,
      next: (timeoutMs = 5000) => {
        const ready = messages.shift();
        if (ready !== undefined) return Promise.resolve(ready);
        return new Promise((done, fail) => {
          const timer = setTimeout(() => fail(new Error(`no message within ${timeoutMs} ms`)), timeoutMs);
          waiters.push((message) => { clearTimeout(timer); done(message); });
        });
      },
    }));
    ws.once('unexpected-response', (_req: http.ClientRequest, res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }); ws.terminate(); });
      res.on('error', reject);
    });
    ws.once('error', reject);
  });
  return { ws, result };
}

/** Opens a WebSocket through the proxy; rejects when the handshake is not answered 101. */
export async function openWs(port: number, path: string, headers: Record<string, string> = {}): Promise<WsClient> {
  const outcome = await connect(port, path, headers).result;
  if ('status' in outcome) throw new Error(`handshake answered ${outcome.status}: ${outcome.body}`);
  return outcome;
}

/** A handshake the test expects to be refused: its status, headers and body. */
export async function refusedWs(port: number, path: string, headers: Record<string, string> = {}): Promise<RefusedHandshake> {
  const { ws, result } = connect(port, path, headers);
  const outcome = await result;
  if (!('status' in outcome)) { ws.terminate(); throw new Error('the handshake was answered 101'); }
  return outcome;
}

/** A raw handshake's bytes (key and version 13 unless `headers` says otherwise). */
export function handshakeBytes(path: string, headers: Record<string, string | null> = {}): string {
  const all: Record<string, string | null> = {
    Host: 'shop', Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13', ...headers,
  };
  return `GET ${path} HTTP/1.1\r\n${Object.entries(all).filter(([, v]) => v !== null).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

/** RFC 6455 §4.2.2: the Sec-WebSocket-Accept a server answers a key with. */
export function acceptFor(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

/** A binary frame from a server (unmasked), as raw bytes. */
export function serverFrame(payload: Buffer): Buffer {
  const head = payload.length < 126 ? Buffer.from([0x82, payload.length])
    : payload.length < 65536 ? Buffer.from([0x82, 126, payload.length >> 8, payload.length & 0xff])
      : Buffer.concat([Buffer.from([0x82, 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(payload.length)); return b; })()]);
  return Buffer.concat([head, payload]);
}
