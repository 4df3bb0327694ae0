import http from 'node:http';
import type { Express } from 'express';
import pino from 'pino';
import type { UpgradeHandler } from './http/live/stock-feed';

export function serviceLogger(name: string): pino.Logger {
  return pino({ name, level: process.env.LOG_LEVEL ?? 'info' });
}

/** sysexits.h EX_CONFIG: the launcher does not restart a process that exits with it (a port taken stays taken). */
export const EXIT_CANNOT_LISTEN = 78;

/**
 * Listens, logs the URL, and stops cleanly on SIGTERM/SIGINT: stop accepting, let requests in
 * flight finish (closing idle keep-alive sockets), close WebSockets (1001), then run `onClose`.
 * Without `upgrades`, an upgrade request is answered like any request.
 */
export function listen(name: string, app: Express, port: number, onClose: () => void, portEnv: string, upgrades?: UpgradeHandler): Promise<() => Promise<void>> {
  const log = serviceLogger(name);
  const server = http.createServer(app);
  if (upgrades !== undefined) server.on('upgrade', (req, socket, head) => upgrades.handleUpgrade(req, socket, head));
  // Idle keep-alive sockets live 5 s; the proxy's pool closes its idle sockets sooner (4 s).
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', (error: Error & { code?: string }) => {
      if (error.code !== 'EADDRINUSE' && error.code !== 'EACCES') { reject(error); return; }
      const why = error.code === 'EADDRINUSE' ? 'the port is in use' : 'permission denied';
      process.stderr.write(`${name}: cannot listen on port ${port}: ${why}; set ${portEnv} to another port\n`);
      process.exit(EXIT_CANNOT_LISTEN);
    });
    server.listen(port, process.env.SHOP_HOST ?? '127.0.0.1', () => {
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      log.info({ url: `http://127.0.0.1:${actual}` }, `${name} listening`);
      const stop = (): Promise<void> => new Promise((done) => {
        server.close(() => { onClose(); done(); });
        server.closeIdleConnections();
        upgrades?.close();
        setTimeout(() => server.closeAllConnections(), 5000).unref();
      });
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => { stop().then(() => process.exit(0)); });
      }
      resolve(stop);
    });
  });
}
