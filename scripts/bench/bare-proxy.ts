import http from 'node:http';
import httpProxy from 'http-proxy';

/** Contender (b): bare http-proxy with a keep-alive agent and nothing else — the floor of our stack. `node bare-proxy.js TARGET PORT` */
const target = process.argv[2];
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const proxy = httpProxy.createProxyServer({ target, agent });
proxy.on('error', (_error, _req, res) => {
  if (res instanceof http.ServerResponse && !res.headersSent) { res.writeHead(502); res.end(); }
});
const server = http.createServer((req, res) => proxy.web(req, res));
server.listen(Number(process.argv[3] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
