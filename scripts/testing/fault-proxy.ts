import net from 'node:net';

/**
 * A small TCP fault proxy in the spirit of toxiproxy, placed between our proxy and an upstream.
 * Toxics: `latency` delays every chunk the upstream sends back; `blackhole` accepts and never
 * forwards; `reset` resets the client connection once the request has reached the upstream.
 */
export type Toxic = { kind: 'none' } | { kind: 'latency'; ms: number } | { kind: 'blackhole' } | { kind: 'reset' };

export interface FaultProxy {
  readonly port: number;
  toxic: Toxic;
  close(): Promise<void>;
}

export async function startFaultProxy(upstreamPort: number, toxic: Toxic = { kind: 'none' }): Promise<FaultProxy> {
  const sockets = new Set<net.Socket>();
  const proxy: FaultProxy = { port: 0, toxic, close: () => Promise.resolve() };
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    // The toxic is read per chunk, not per connection: pooled keep-alive sockets outlive a change.
    if (proxy.toxic.kind === 'blackhole') { client.resume(); return; }
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => { sockets.delete(upstream); client.destroy(); });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.on('data', (chunk) => {
      const current = proxy.toxic;
      if (current.kind === 'blackhole') return;
      upstream.write(chunk);
      if (current.kind === 'reset') setTimeout(() => client.resetAndDestroy(), 50);
    });
    upstream.on('data', (chunk) => {
      const current = proxy.toxic;
      if (current.kind === 'latency') setTimeout(() => { if (!client.destroyed) client.write(chunk); }, current.ms);
      else client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  Object.assign(proxy, {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  });
  return proxy;
}
