import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { bigAnswer } from './big-answer';
import { bigPage } from './compare-bench';

/**
 * Pages as real shops serve them: never byte-identical, because each carries a CSRF token and a
 * render id made per response. `noisyJson()` is the benchmark's ~200 KB catalogue with both
 * fields; `noisyHtml()` the ~200 KB listing page with a hidden CSRF input and a render-id
 * comment. Every comparison of two of them is the slow path (not the byte-equal fast one), and
 * the difference is noise: legacy's two answers differ at the same places.
 */
export const NOISY_JSON_PATH = '/noisy/page.json';
export const NOISY_HTML_PATH = '/noisy/page.html';

const json = bigAnswer().toString();
const html = bigPage().toString();

const token = (): string => randomBytes(16).toString('hex');

export function noisyJson(): Buffer {
  return Buffer.from(`{"csrfToken":"${token()}","renderId":"${token()}",${json.slice(1)}`);
}

export function noisyHtml(): Buffer {
  return Buffer.from(html.replace('<main id="catalogue">', `<!-- render ${token()} --><form id="csrf"><input type="hidden" name="csrf" value="${token()}"></form>\n  <main id="catalogue">`));
}

/** `node noisy-pages.js PORT`: serves both pages, keep-alive; prints `listening PORT`. */
function serve(port: number): void {
  const server = http.createServer((req, res) => {
    req.resume();
    const page = req.url === NOISY_HTML_PATH ? noisyHtml() : noisyJson();
    res.writeHead(200, { 'content-type': req.url === NOISY_HTML_PATH ? 'text/html; charset=utf-8' : 'application/json', 'content-length': page.length });
    res.end(page);
  });
  server.keepAliveTimeout = 5000;
  server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

if (require.main === module) serve(Number(process.argv[2] ?? 0));
