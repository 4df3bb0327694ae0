import net from 'node:net';

/** One request as it arrived on the wire at a raw upstream. */
export interface RawSeen {
  readonly method: string;
  readonly target: string;
  /** Header lines exactly as received (name: value), in order. */
  readonly headerLines: string[];
  readonly body: string;
}

export interface RawUpstream {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly seen: RawSeen[];
  /** Every byte received, on every connection, for "the upstream never saw X" checks. */
  bytes(): string;
  reset(): void;
  close(): Promise<void>;
}

const HEADER_END = '\r\n\r\n';

/**
 * Takes one complete request off the front of `buffer`, or returns null when more bytes are
 * needed. Understands exactly the framings a well-behaved client (our proxy, through Node's http
 * client) may send: Content-Length or chunked. Anything else is a protocol error and throws.
 */
function takeRequest(buffer: string): { request: RawSeen; rest: string } | null {
  const headEnd = buffer.indexOf(HEADER_END);
  if (headEnd === -1) return null;
  const [requestLine, ...headerLines] = buffer.slice(0, headEnd).split('\r\n');
  const [method, target] = requestLine.split(' ');
  const header = (name: string): string | undefined => headerLines.find((l) => l.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
  let rest = buffer.slice(headEnd + HEADER_END.length);
  let body = '';
  if ((header('transfer-encoding') ?? '').toLowerCase() === 'chunked') {
    for (;;) {
      const sizeEnd = rest.indexOf('\r\n');
      if (sizeEnd === -1) return null;
      const size = parseInt(rest.slice(0, sizeEnd), 16);
      if (Number.isNaN(size)) throw new Error(`bad chunk size line: ${JSON.stringify(rest.slice(0, sizeEnd))}`);
      if (rest.length < sizeEnd + 2 + size + 2) return null;
      body += rest.slice(sizeEnd + 2, sizeEnd + 2 + size);
      rest = rest.slice(sizeEnd + 2 + size + 2);
      if (size === 0) break;
    }
  } else {
    const length = Number(header('content-length') ?? '0');
    if (rest.length < length) return null;
    body = rest.slice(0, length);
    rest = rest.slice(length);
  }
  return { request: { method, target, headerLines, body }, rest };
}

/**
 * A recording fake upstream written on `net`, below any HTTP library: it keeps the raw bytes it
 * received and answers each request with 200 and a small JSON body naming itself and the target.
 * Requests on one connection are answered in order (pipelining works).
 */
export async function startRawUpstream(name: string): Promise<RawUpstream> {
  const seen: RawSeen[] = [];
  let received = '';
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setEncoding('latin1');
    let buffer = '';
    socket.on('data', (chunk: string) => {
      received += chunk;
      buffer += chunk;
      for (;;) {
        let taken: ReturnType<typeof takeRequest>;
        try {
          taken = takeRequest(buffer);
        } catch {
          socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
          return;
        }
        if (taken === null) return;
        buffer = taken.rest;
        seen.push(taken.request);
        const body = JSON.stringify({ upstream: name, target: taken.request.target });
        socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-upstream: ${name}\r\n\r\n${body}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    name, port, url: `http://127.0.0.1:${port}`, seen,
    bytes: () => received,
    reset: () => { seen.length = 0; received = ''; },
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

/**
 * The status of each complete response in `data`, in order: walks status line, headers and body
 * (Content-Length or chunked), so responses glued together by pipelining are counted right.
 */
export function responseStatuses(data: string): number[] {
  const statuses: number[] = [];
  let at = 0;
  while (at < data.length) {
    const line = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(data.slice(at, at + 200));
    if (line === null) break;
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd === -1) break;
    const head = data.slice(at, headEnd).toLowerCase();
    let next = headEnd + 4;
    if (/\r\ntransfer-encoding:[^\r]*chunked/.test(head)) {
      for (;;) {
        const sizeEnd = data.indexOf('\r\n', next);
        if (sizeEnd === -1) return statuses;
        const size = parseInt(data.slice(next, sizeEnd), 16);
        next = sizeEnd + 2 + size + 2;
        if (size === 0 || Number.isNaN(size)) break;
      }
    } else {
      next += Number(/\r\ncontent-length:\s*(\d+)/.exec(head)?.[1] ?? 0);
    }
    if (next > data.length) break;
    statuses.push(Number(line[1]));
    at = next;
  }
  return statuses;
}

export interface RawExchange {
  /** Everything the proxy sent back. */
  readonly data: string;
  /** Status codes of the responses, in order. */
  readonly statuses: number[];
  /** The proxy closed the connection (rather than keeping it open for more requests). */
  readonly closedByServer: boolean;
}

/**
 * Writes raw bytes on a fresh connection and collects the answer: done when the server closes,
 * or when `responses` responses have arrived and nothing more came for `idleMs`.
 */
export function rawExchange(port: number, bytes: Buffer | string, responses: number, idleMs = 150, limitMs = 5000): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    let idle: NodeJS.Timeout | undefined;
    let done = false;
    const statuses = (): number[] => responseStatuses(data);
    const finish = (closedByServer: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(idle);
      clearTimeout(limit);
      socket.removeAllListeners('data');
      socket.destroy();
      resolve({ data, statuses: statuses(), closedByServer });
    };
    const limit = setTimeout(() => finish(false), limitMs);
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk: string) => {
      data += chunk;
      clearTimeout(idle);
      if (statuses().length >= responses) idle = setTimeout(() => finish(false), idleMs);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => undefined);
  });
}
