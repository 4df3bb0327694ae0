import net from 'node:net';

/**
 * A small TCP fault proxy in the spirit of toxiproxy, placed between our proxy and an upstream.
 * Toxics act on what the upstream sends back (downstream), except blackhole and reset:
 *   latency    every chunk is delayed by `ms`
 *   bandwidth  at most `bytesPerSecond`
 *   slowClose  when the upstream closes, the close reaches the client `ms` later
 *   blackhole  connections are accepted, nothing is forwarded, nothing comes back
 *   reset      the client connection is reset `afterMs` after its first request bytes reached the upstream
 *   slicer     chunks are cut into `size`-byte slices sent `delayMs` apart
 *   limitData  the connection is closed once `bytes` have gone back to the client
 * The toxic is read per chunk, not per connection: pooled keep-alive sockets outlive a change.
 */
export type Toxic =
  | { kind: 'none' }
  | { kind: 'latency'; ms: number }
  | { kind: 'bandwidth'; bytesPerSecond: number }
  | { kind: 'slowClose'; ms: number }
  | { kind: 'blackhole' }
  | { kind: 'reset'; afterMs?: number }
  | { kind: 'slicer'; size: number; delayMs: number }
  | { kind: 'limitData'; bytes: number };

export interface FaultProxy {
  readonly port: number;
  toxic: Toxic;
  /** Connections accepted so far (to tell a pooled socket from a new one). */
  connections(): number;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function startFaultProxy(upstreamPort: number, toxic: Toxic = { kind: 'none' }): Promise<FaultProxy> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const state = { toxic };

  const server = net.createServer((client) => {
    accepted++;
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (state.toxic.kind === 'blackhole') { client.resume(); return; }
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());

    // Downstream bytes go through one queue per connection, so delays never reorder them.
    let queue: Promise<void> = Promise.resolve();
    let sentBack = 0;
    const later = (step: () => Promise<void> | void): void => { queue = queue.then(step).catch(() => undefined); };
    const send = (chunk: Buffer): void => { if (!client.destroyed) client.write(chunk); };

    client.on('data', (chunk) => {
      const current = state.toxic;
      if (current.kind === 'blackhole') return;
      upstream.write(chunk);
      if (current.kind === 'reset') setTimeout(() => client.resetAndDestroy(), current.afterMs ?? 50);
    });
    upstream.on('data', (chunk: Buffer) => {
      const current = state.toxic;
      switch (current.kind) {
        case 'latency':
          later(async () => { await sleep(current.ms); send(chunk); });
          break;
        case 'bandwidth':
          later(async () => {
            for (let at = 0; at < chunk.length; at += 1024) {
              const piece = chunk.subarray(at, at + 1024);
              send(piece);
              await sleep((piece.length / current.bytesPerSecond) * 1000);
            }
          });
          break;
        case 'slicer':
          later(async () => {
            for (let at = 0; at < chunk.length; at += current.size) {
              send(chunk.subarray(at, at + current.size));
              await sleep(current.delayMs);
            }
          });
          break;
        case 'limitData':
          later(() => {
            const room = current.bytes - sentBack;
            if (room > 0) send(chunk.subarray(0, room));
            sentBack += Math.min(room, chunk.length);
            if (sentBack >= current.bytes) { client.destroy(); upstream.destroy(); }
          });
          break;
        default:
          later(() => send(chunk));
      }
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      const current = state.toxic;
      later(async () => {
        if (current.kind === 'slowClose') await sleep(current.ms);
        client.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    get toxic() { return state.toxic; },
    set toxic(next: Toxic) { state.toxic = next; },
    connections: () => accepted,
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}
