import type http from 'node:http';
import net, { type AddressInfo } from 'node:net';

/** Listens on `host:port` (0: any free port) and resolves with the port taken; rejects with the listen error (EADDRINUSE, EACCES). */
export function listen(server: http.Server | net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** A port free on `host` now: listened on and closed again. */
export async function freePort(host: string): Promise<number> {
  const server = net.createServer();
  const port = await listen(server, 0, host);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
