import type { IncomingHttpHeaders } from 'node:http';
import { connectionNamed, flatToObject } from '../forward/transforms/hop-by-hop';
import { outgoingRequestHeaders as flatRequestHeaders } from '../forward/transforms/request-headers';
import { outgoingResponseHeaders as flatResponseHeaders, type ResponseHeaderFacts } from '../forward/transforms/response-headers';

// The passes build the flat name/value lists undici and writeHead take; most assertions read them as objects.
const outgoingRequestHeaders = (incoming: IncomingHttpHeaders, f: typeof facts) => flatToObject(flatRequestHeaders(incoming, f));
const flat = (headers: Record<string, string | string[]>): string[] => Object.entries(headers).flatMap(([name, value]) => (Array.isArray(value) ? value.flatMap((v) => [name, v]) : [name, value]));
const outgoingResponseHeaders = (upstream: Record<string, string | string[]>, f: ResponseHeaderFacts) => flatToObject(flatResponseHeaders(flat(upstream), f));

const facts = { remoteAddress: '127.0.0.9', requestId: 'rid-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };

describe('request header passes', () => {
  test('hop-by-hop and Connection-named headers are dropped before ours are set', () => {
    const out = outgoingRequestHeaders({
      host: 'shop.example', connection: 'keep-alive, x-request-id, traceparent, x-secret', 'keep-alive': 'timeout=5', te: 'trailers',
      trailer: 'x-foo', upgrade: 'h2c', expect: '100-continue', 'proxy-authorization': 'Basic x', 'x-secret': 's', accept: 'application/json',
      'x-request-id': 'client', 'content-length': '5',
    }, facts);
    expect(out).toEqual({
      host: 'shop.example', accept: 'application/json', 'content-length': '5',
      'x-forwarded-for': '127.0.0.9', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'shop.example',
      via: '1.1 strangler', 'x-request-id': 'rid-1', traceparent: facts.traceparent,
    });
  });
  test('client X-Forwarded-* are replaced, never appended; Via is appended', () => {
    const out = outgoingRequestHeaders({ host: 'h', 'x-forwarded-for': '6.6.6.6', 'x-forwarded-host': 'evil', forwarded: 'for=6.6.6.6', via: '1.0 cdn' }, facts);
    expect(out.forwarded).toBeUndefined();
    expect(out['x-forwarded-for']).toBe('127.0.0.9');
    expect(out['x-forwarded-host']).toBe('h');
    expect(out.via).toBe('1.0 cdn, 1.1 strangler');
  });
  test('every x-strangler-* header a client sends is stripped', () => {
    const out = outgoingRequestHeaders({ host: 'h', 'x-strangler-force': 'extracted', 'x-strangler-token': 't', 'x-strangler-shadow': '1', 'x-strangler-anything': 'x' }, facts);
    expect(Object.keys(out).filter((k) => k.startsWith('x-strangler-'))).toEqual([]);
  });
  test('the input object is not changed', () => {
    const incoming = { host: 'h', connection: 'close' };
    outgoingRequestHeaders(incoming, facts);
    expect(incoming).toEqual({ host: 'h', connection: 'close' });
  });
});

describe('response header passes', () => {
  test('hop-by-hop dropped, origin marked, anonymous cookie added beside the upstream cookies', () => {
    const out = outgoingResponseHeaders({
      'content-type': 'text/html', connection: 'keep-alive, x-internal', 'keep-alive': 'timeout=5', 'x-internal': '1',
      'set-cookie': ['sid=abc; HttpOnly'], 'x-strangler-backend': 'spoofed', 'transfer-encoding': 'chunked',
    }, { route: 'product-detail', backend: 'legacy-fallback', setCookie: 'strangler_id=x; Path=/' });
    // Transfer-Encoding is this hop's framing: Node frames the shopper's body itself (chunked for HTTP/1.1).
    expect(out).toEqual({
      'content-type': 'text/html', 'set-cookie': ['sid=abc; HttpOnly', 'strangler_id=x; Path=/'],
      'x-strangler-route': 'product-detail', 'x-strangler-backend': 'legacy-fallback', via: '1.1 strangler',
    });
  });
  test('repeated upstream headers stay separate lines in their order; Via lines are joined and appended to', () => {
    const out = flatResponseHeaders(['set-cookie', 'a=1', 'x-one', '1', 'set-cookie', 'b=2', 'via', '1.1 cdn', 'via', '1.0 edge'], { route: 'r', backend: 'legacy', setCookie: null });
    expect(out).toEqual(['set-cookie', 'a=1', 'x-one', '1', 'set-cookie', 'b=2', 'x-strangler-route', 'r', 'x-strangler-backend', 'legacy', 'via', '1.1 cdn, 1.0 edge, 1.1 strangler']);
  });
  test('the request list keeps the client\'s order, one pair per value, with the proxy\'s headers last', () => {
    expect(flatRequestHeaders({ host: 'h', accept: '*/*', 'transfer-encoding': 'chunked' }, facts)).toEqual([
      'host', 'h', 'accept', '*/*', 'x-forwarded-for', '127.0.0.9', 'x-forwarded-proto', 'http', 'x-forwarded-host', 'h',
      'via', '1.1 strangler', 'x-request-id', 'rid-1', 'traceparent', facts.traceparent,
    ]);
  });
});

test('Connection: keep-alive or close names nothing beyond itself; other names are dropped in any case', () => {
  expect(connectionNamed('keep-alive')).toBeNull();
  expect(connectionNamed('Close')).toBeNull();
  expect([...(connectionNamed('keep-alive, X-Secret') ?? [])]).toEqual(['keep-alive', 'x-secret']);
  const to = flatResponseHeaders(['connection', 'Keep-Alive', 'keep-alive', 'timeout=5', 'content-type', 'text/plain'], { route: 'r', backend: 'legacy', setCookie: null });
  expect(flatToObject(to)).toEqual({ 'content-type': 'text/plain', 'x-strangler-route': 'r', 'x-strangler-backend': 'legacy', via: '1.1 strangler' });
});
