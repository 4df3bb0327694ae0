/**
 * What the shopper and the upstream see on the wire now that undici forwards HTTP (where it
 * behaves differently from http-proxy over node:http): header casing, Transfer-Encoding, trailers,
 * 1xx answers and Expect. Upstreams here are raw `net` servers, so every byte is the proxy's.
 */
import net from 'node:net';
import { rawRequest } from '../../../scripts/testing/http-client';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';
import { oneRouteRules, startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';

/** A raw upstream: records the bytes of each request and answers with the bytes `answer` gives. */
interface WireUpstream { port: number; requests: string[]; answer: (request: string) => string; close(): Promise<void> }

async function startWireUpstream(): Promise<WireUpstream> {
  const upstream: WireUpstream = { port: 0, requests: [], answer: () => 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}', close: async () => undefined };
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const headEnd = data.indexOf('\r\n\r\n');
      if (headEnd === -1) return;
      const head = data.slice(0, headEnd);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      const chunked = /\r\ntransfer-encoding: *chunked/i.test(head);
      const body = data.slice(headEnd + 4);
      if (chunked ? !body.endsWith('0\r\n\r\n') : body.length < Number(length?.[1] ?? 0)) return;
      upstream.requests.push(data);
      socket.write(upstream.answer(data));
      data = '';
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  upstream.port = (server.address() as net.AddressInfo).port;
  upstream.close = () => new Promise((resolve) => server.close(() => resolve()));
  return upstream;
}

let legacy: TestUpstream;
let wire: WireUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  wire = await startWireUpstream();
  proxy = await startTestProxy(oneRouteRules(legacy.url, `http://127.0.0.1:${wire.port}`, 'match: { path: /api/x }\npercent: 100'));
}, 20000);
afterAll(async () => {
  const code = await proxy.stop();
  await Promise.all([legacy.close(), wire.close()]);
  expect(code).toBe(0);
});
beforeEach(() => { wire.requests.length = 0; wire.answer = () => 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}'; });
afterEach(() => expectNoCrash(proxy));

const ask = (head: string, body = ''): Promise<string> => rawRequest(proxy.port, `${head}\r\nHost: shop.test\r\nx-user-id: u1\r\nConnection: close\r\n\r\n${body}`);
const headOf = (answer: string): string => answer.slice(0, answer.indexOf('\r\n\r\n'));
const bodyOf = (answer: string): string => answer.slice(answer.indexOf('\r\n\r\n') + 4);

/** The payload of a chunked body. */
function unchunk(body: string): string {
  let out = '';
  for (let rest = body; ;) {
    const line = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, line), 16);
    if (!(size > 0)) return out;
    out += rest.slice(line + 2, line + 2 + size);
    rest = rest.slice(line + 2 + size + 2);
  }
}

describe('what the upstream sees', () => {
  test('header names arrive lower-case (as Node parsed them), values as sent, the client\'s Host kept', async () => {
    await ask('GET /api/x HTTP/1.1\r\nX-Custom-Thing: Mixed Case Value\r\nAccept: text/html');
    const head = headOf(wire.requests[0]);
    expect(head).toMatch(/^GET \/api\/x HTTP\/1\.1\r\n/);
    expect(head).toContain('\r\nx-custom-thing: Mixed Case Value');
    expect(head).toContain('\r\naccept: text/html');
    expect(head).toContain('\r\nhost: shop.test');
    expect(head).not.toMatch(/\r\nX-Custom-Thing/);
  });

  test('a chunked request body still arriving is streamed chunked; one that arrived whole, or had a Content-Length, is sent with its length', async () => {
    // Two parts 100 ms apart: the proxy forwards before the body has ended, so undici chunks it.
    await new Promise<void>((resolve) => {
      const socket = net.connect(proxy.port, '127.0.0.1', () => {
        socket.write('POST /api/x HTTP/1.1\r\nHost: h\r\nx-user-id: u1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n');
        setTimeout(() => socket.write('6\r\n world\r\n0\r\n\r\n'), 100);
      });
      socket.on('data', () => undefined);
      socket.on('close', () => resolve());
    });
    const streamed = wire.requests[0];
    expect(headOf(streamed)).toMatch(/\r\ntransfer-encoding: chunked/i);
    expect(headOf(streamed)).not.toMatch(/\r\ncontent-length/i);
    expect(unchunk(bodyOf(streamed))).toBe('hello world');
    await ask('POST /api/x HTTP/1.1\r\nTransfer-Encoding: chunked', '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
    for (const whole of [wire.requests[1], (await ask('POST /api/x HTTP/1.1\r\nContent-Length: 11', 'hello world'), wire.requests[2])]) {
      expect(headOf(whole)).toMatch(/\r\ncontent-length: 11/);
      expect(headOf(whole)).not.toMatch(/transfer-encoding/i);
      expect(bodyOf(whole)).toBe('hello world');
    }
  });

  test('Expect: 100-continue is answered by the proxy; the upstream never sees Expect', async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(proxy.port, '127.0.0.1', () => socket.write('POST /api/x HTTP/1.1\r\nHost: h\r\nx-user-id: u1\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n'));
      let data = '';
      let sent = false;
      socket.on('data', (d) => { data += d; if (data.startsWith('HTTP/1.1 100 Continue') && !sent) { sent = true; socket.write('hi'); } });
      socket.on('close', () => resolve(data));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200/);
    expect(headOf(wire.requests[0])).not.toMatch(/expect/i);
    expect(bodyOf(wire.requests[0])).toBe('hi');
  });
});

describe('what the shopper sees', () => {
  test('response header names are lower-case; repeated Set-Cookie lines stay separate', async () => {
    wire.answer = () => 'HTTP/1.1 200 OK\r\nX-Powered-By: Legacy\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 2\r\n\r\n{}';
    const head = headOf(await ask('GET /api/x HTTP/1.1'));
    expect(head).toContain('\r\nx-powered-by: Legacy');
    expect(head).toContain('\r\nset-cookie: a=1\r\nset-cookie: b=2');
  });

  test('a chunked upstream body reaches an HTTP/1.1 shopper chunked and whole, and an HTTP/1.0 shopper unchunked, ended by close', async () => {
    wire.answer = () => 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n';
    const v11 = await ask('GET /api/x HTTP/1.1');
    expect(headOf(v11)).toMatch(/\r\ntransfer-encoding: chunked/i);
    expect(unchunk(bodyOf(v11))).toBe('hello world');
    const v10 = await rawRequest(proxy.port, 'GET /api/x HTTP/1.0\r\nHost: h\r\nx-user-id: u1\r\n\r\n');
    expect(headOf(v10)).not.toMatch(/transfer-encoding/i);
    expect(bodyOf(v10)).toBe('hello world');
  });

  test('trailers from the upstream are not relayed; the body arrives whole', async () => {
    wire.answer = () => 'HTTP/1.1 200 OK\r\nTrailer: x-checksum\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nx-checksum: abc\r\n\r\n';
    const answer = await ask('GET /api/x HTTP/1.1');
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(headOf(answer)).not.toMatch(/trailer/i);
    expect(answer).not.toContain('x-checksum');
    expect(bodyOf(answer)).toBe('2\r\nok\r\n0\r\n\r\n');
  });

  test('a 103 Early Hints before the answer is not relayed: the shopper gets the final answer only', async () => {
    wire.answer = () => 'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}';
    const answer = await ask('GET /api/x HTTP/1.1');
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).not.toContain('103');
    expect(answer).not.toMatch(/rel=preload/);
    expect(bodyOf(answer)).toBe('{}');
  });
});
