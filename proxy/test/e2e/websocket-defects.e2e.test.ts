/**
 * The defects of http-proxy 1.18.1's WebSocket pass (lib/http-proxy/passes/ws-incoming.js) and the
 * guards in proxy/websocket/relay.ts, one test each: without its guard each test crashes the proxy
 * process, hangs, or leaves a socket open. (Guard 4, the handshake deadline, is the 504 test in
 * websocket.e2e.test.ts.)
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { request } from '../../../scripts/testing/http-client';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';
import { startTestProxy, type TestProxy } from '../../../scripts/testing/upstreams';
import { until } from '../../../scripts/testing/wait';
import { acceptFor, handshakeBytes, openWs, refusedWs, serverFrame, startWsUpstream, type WsUpstream } from '../../../scripts/testing/websockets';

let svc: WsUpstream;
let proxy: TestProxy;

const rules = (): string => `version: 1
upstreams:
  legacy: ${svc.url}
routes:
  - { name: live, match: { path: /ws/*rest }, extracted: legacy, percent: 100, websocket: true, timeout_ms: 20000 }
`;

const openTunnels = async (): Promise<number> => (await request({ port: proxy.adminPort, path: '/status' })).json<{ websockets: { open: number } }>().websockets.open;

/** A raw client socket that has sent a handshake; `halfOpen` keeps it open after the proxy's FIN. */
function rawClient(path: string, halfOpen = false): Promise<{ socket: net.Socket; received: () => string }> {
  return new Promise((resolve) => {
    let data = '';
    const socket = net.connect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: halfOpen }, () => {
      socket.write(handshakeBytes(path));
      resolve({ socket, received: () => data });
    });
    socket.on('data', (chunk) => { data += chunk.toString('latin1'); });
    socket.on('error', () => undefined);
  });
}

/** A held handshake on the upstream: answered only when the test says, closed when the proxy closes it. */
function holdHandshakes(): Array<{ socket: Duplex; key: string }> {
  const held: Array<{ socket: Duplex; key: string }> = [];
  svc.override((req, socket) => {
    socket.on('end', () => socket.destroy());
    socket.resume();
    held.push({ socket, key: String(req.headers['sec-websocket-key']) });
    return true;
  });
  return held;
}

beforeAll(async () => {
  svc = await startWsUpstream('svc');
  proxy = await startTestProxy(rules());
}, 20000);
afterAll(async () => {
  const code = await proxy.stop();
  await svc.close();
  expect(code).toBe(0);
});
beforeEach(() => {
  svc.override(null);
  svc.handshakes.length = 0;
  svc.extra101Headers.length = 0;
});
afterEach(() => expectNoCrash(proxy));

/** The proxy still tunnels a fresh connection: it is alive and serving. */
async function stillServes(): Promise<void> {
  svc.override(null);
  const client = await openWs(proxy.port, '/ws/after', { 'x-user-id': 'after' });
  expect(JSON.parse(String(await client.next()))).toMatchObject({ servedBy: 'svc' });
  client.ws.close();
  await client.closed;
}

test('guard 1: a shopper whose connection resets while the upstream has not answered does not crash the proxy (node-http-proxy#1468)', async () => {
  holdHandshakes();
  const { socket } = await rawClient('/ws/reset-in-handshake');
  await until('the handshake to reach the upstream', () => svc.handshakes.length === 1);
  socket.resetAndDestroy();
  await until('the proxy to notice', async () => svc.openSockets() === 0);
  expectNoCrash(proxy);
  await stillServes();
});

test('guard 2: a shopper who leaves during the handshake releases the upstream at once, not at the deadline', async () => {
  holdHandshakes();
  const { socket } = await rawClient('/ws/leave-in-handshake');
  await until('the handshake to reach the upstream', () => svc.handshakes.length === 1);
  socket.resetAndDestroy();
  // timeout_ms is 20 s: the upstream's socket must go long before that.
  await until('the upstream\'s handshake socket to be closed', () => svc.openSockets() === 0, 3000);
});

test('guard 1 and 3: an upstream that declines after the shopper left is no write after end (node-http-proxy#1342)', async () => {
  const held = holdHandshakes();
  const { socket } = await rawClient('/ws/declined-late');
  await until('the handshake to reach the upstream', () => held.length === 1);
  socket.resetAndDestroy();
  if (!held[0].socket.destroyed) held[0].socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 2\r\n\r\nno');
  await new Promise((resolve) => setTimeout(resolve, 100));
  expectNoCrash(proxy);
  await stillServes();
});

test('guard 3: an upstream that declines with a chunked answer reaches the shopper as a well-framed answer, marked, its hop-by-hop headers gone', async () => {
  svc.override((_req, socket) => {
    socket.write('HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nKeep-Alive: timeout=5\r\nX-Strangler-Route: forged\r\n\r\n');
    socket.write('10\r\n{"error":"origin\r\n');
    socket.end('e\r\n not allowed"}\r\n0\r\n\r\n');
    return true;
  });
  const refused = await refusedWs(proxy.port, '/ws/declined', { 'x-user-id': 'u-d' });
  expect(refused.status).toBe(403);
  expect(refused.body).toBe('{"error":"origin not allowed"}');
  expect(refused.headers['content-length']).toBe(String(refused.body.length));
  expect(refused.headers['transfer-encoding']).toBeUndefined();
  expect(refused.headers['keep-alive']).toBeUndefined();
  expect(refused.headers['x-strangler-route']).toBe('live');
  expect(refused.headers['x-strangler-backend']).toBe('extracted');
});

test('guard 5: after the upgrade, a shopper that never closes its half is dropped once the upstream is gone (node-http-proxy#559)', async () => {
  for (const how of ['close', 'reset'] as const) {
    const { socket, received } = await rawClient(`/ws/half-open-${how}`, true);
    await until('the 101', () => received().startsWith('HTTP/1.1 101'));
    const server = svc.accepted[svc.accepted.length - 1];
    if (how === 'close') server.terminate();
    else (server as unknown as { _socket: net.Socket })._socket.resetAndDestroy();
    // The shopper's socket keeps its half open and never answers; the proxy must not keep its own.
    await until(`the tunnel to be released after an upstream ${how}`, async () => (await openTunnels()) === 0, 5000);
    socket.destroy();
  }
});

test('guard 5: a shopper that half-closes while the upstream never closes its side: both are released', async () => {
  let upstreamSide: Duplex | null = null;
  svc.override((req, socket) => { // a WebSocket upstream that ignores FIN
    upstreamSide = socket;
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(String(req.headers['sec-websocket-key']))}\r\n\r\n`);
    socket.resume();
    return true;
  });
  const { socket, received } = await rawClient('/ws/client-half-close', true);
  await until('the 101', () => received().startsWith('HTTP/1.1 101'));
  socket.end();
  // Without the guard the proxy keeps both its sockets: the shopper's (half-open) and the upstream's (ended, never closed).
  await until('the tunnel to be released', async () => (await openTunnels()) === 0, 5000);
  socket.destroy();
  upstreamSide!.destroy();
});

test('guard 6: the path sent is the path matched (http-proxy\'s urlJoin would turn "http:/" into "http://")', async () => {
  const client = await openWs(proxy.port, '/ws/redirect/http:/example.com?to=https:/x', { 'x-user-id': 'u-p' });
  expect(JSON.parse(String(await client.next()))).toMatchObject({ url: '/ws/redirect/http:/example.com?to=https:/x' });
  client.ws.close();
  await client.closed;
});

test('guard 7: the 101 carries the proxy\'s x-strangler-* headers, never the upstream\'s, and no hop-by-hop headers of the upstream', async () => {
  svc.extra101Headers.push('X-Strangler-Backend: forged', 'Keep-Alive: timeout=5', 'X-Shop: kept');
  const client = await openWs(proxy.port, '/ws/forged', { 'x-user-id': 'u-f' });
  expect(client.upgrade.headers['x-strangler-backend']).toBe('extracted');
  expect(client.upgrade.headers['x-strangler-route']).toBe('live');
  expect(client.upgrade.headers['keep-alive']).toBeUndefined();
  expect(client.upgrade.headers['x-shop']).toBe('kept');
  expect(client.upgrade.headers.via).toBe('1.1 strangler');
  client.ws.close();
  await client.closed;
});

test('shutdown in the middle of a frame to the shopper: the frame is finished first, then close 1001 (a close frame never goes inside a frame)', async () => {
  const own = await startTestProxy(rules());
  try {
    const payload = Buffer.alloc(64 * 1024, 0x5a);
    const frame = serverFrame(payload);
    let rest: (() => void) | null = null;
    svc.override((req, socket) => {
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(String(req.headers['sec-websocket-key']))}\r\n\r\n`);
      socket.write(frame.subarray(0, 1000));
      // Like ws, it sends the rest of a frame it has started even after the proxy's FIN.
      rest = () => { socket.end(frame.subarray(1000)); };
      socket.resume();
      return true;
    });
    const client = await openWs(own.port, '/ws/mid-frame', { 'x-user-id': 'u-mf' });
    const message = client.next();
    const stopped = own.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    rest!();
    expect(Buffer.compare(await message as Buffer, payload)).toBe(0);
    expect(await client.closed).toEqual({ code: 1001, reason: 'proxy shutting down' });
    expect(await stopped).toBe(0);
  } finally {
    await own.stop();
  }
});
