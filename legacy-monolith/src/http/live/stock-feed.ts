import crypto from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import type { Shop } from '../../domain/shop';

/** What a shop server does with WebSocket handshakes, and how it closes them at shutdown. */
export interface UpgradeHandler {
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Sends close code 1001 to every connection; the ones that do not close within a second are cut. */
  close(): void;
}

/** The message sent on connect and whenever a variant's stock changes. */
export interface StockMessage {
  readonly type: 'stock';
  readonly productId: number;
  readonly inStock: boolean;
  readonly variants: ReadonlyArray<{ sku: string; stock: number; inStock: boolean }>;
}

const STOCK_PATH = /^\/ws\/stock\/([^/?]+)\/?(?:\?.*)?$/;
const ID = /^[1-9][0-9]{0,9}$/;

function answer(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({
    error: { code, message, fields: [] }, generatedAt: new Date().toISOString(), requestId: crypto.randomUUID(),
  });
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  socket.once('finish', () => socket.destroy());
}

/**
 * `GET /ws/stock/:productId`: a product's live stock over WebSocket, the same in the monolith and
 * in extracted/catalog (both run this code over the shared database).
 *
 * - On connect, and whenever it changes: `{"type":"stock","productId":17,"inStock":true,
 *   "variants":[{"sku":"…","stock":4,"inStock":true}]}`. Changes made by any process (a checkout in
 *   the monolith or in extracted/checkout) are seen: the database is read every `pollMs` for the
 *   products someone watches, and a message goes out only when the stock differs from the last one.
 * - The client may send `{"type":"ping"}` (answered `{"type":"pong"}`) and `{"type":"get"}`
 *   (answered with the stock now); anything else gets `{"type":"error","code":"unknown_message"}`.
 * - Before the upgrade: a product that does not exist is a 404, an id that is not one a 400, in the
 *   shop's JSON error shape; a malformed handshake is refused by ws (400).
 */
export function stockFeed(shop: Shop, options: { pollMs?: number } = {}): UpgradeHandler {
  const fromEnv = Number(process.env.STOCK_POLL_MS);
  // Not a number or under 10 ms: the default (a typo must not make it poll the database flat out).
  const pollMs = options.pollMs ?? (Number.isFinite(fromEnv) && fromEnv >= 10 ? fromEnv : 1000);
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const watched = new Map<number, { sockets: Set<WebSocket>; last: string }>();
  let timer: NodeJS.Timeout | null = null;

  const snapshot = (productId: number): string => {
    const variants = (shop.catalog.stockOf(productId) ?? []).map((v) => ({ ...v, inStock: v.stock > 0 }));
    const message: StockMessage = { type: 'stock', productId, inStock: variants.some((v) => v.inStock), variants };
    return JSON.stringify(message);
  };
  const poll = (): void => {
    for (const [productId, watch] of watched) {
      const now = snapshot(productId);
      if (now === watch.last) continue;
      watch.last = now;
      for (const ws of watch.sockets) ws.send(now);
    }
  };
  const subscribe = (productId: number, ws: WebSocket): void => {
    let watch = watched.get(productId);
    if (watch === undefined) { watch = { sockets: new Set(), last: snapshot(productId) }; watched.set(productId, watch); }
    watch.sockets.add(ws);
    timer ??= setInterval(poll, pollMs).unref();
    ws.send(watch.last);
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      let type: unknown;
      try { type = (JSON.parse(data.toString()) as { type?: unknown }).type; } catch { type = undefined; }
      if (type === 'ping') ws.send('{"type":"pong"}');
      else if (type === 'get') ws.send(snapshot(productId));
      else ws.send('{"type":"error","code":"unknown_message"}');
    });
    ws.on('close', () => {
      watch.sockets.delete(ws);
      if (watch.sockets.size === 0) watched.delete(productId);
      if (watched.size === 0 && timer !== null) { clearInterval(timer); timer = null; }
    });
  };

  return {
    handleUpgrade(req, socket, head) {
      socket.on('error', () => undefined);
      const match = STOCK_PATH.exec(req.url ?? '');
      if (match === null) { answer(socket, 404, 'not_found', `No WebSocket endpoint at ${(req.url ?? '').split('?')[0]}`); return; }
      // A segment that is no product id names no product: 404, as on /api/products/:id.
      const productId = ID.test(match[1]) && Number(match[1]) <= 2147483647 ? Number(match[1]) : null;
      if (productId === null || shop.catalog.stockOf(productId) === undefined) { answer(socket, 404, 'not_found', `Product ${match[1]} not found`); return; }
      wss.handleUpgrade(req, socket, head, (ws) => subscribe(productId, ws));
    },
    close() {
      if (timer !== null) { clearInterval(timer); timer = null; }
      for (const ws of wss.clients) ws.close(1001, 'shop shutting down');
      setTimeout(() => { for (const ws of wss.clients) ws.terminate(); }, 1000).unref();
      wss.close();
    },
  };
}
