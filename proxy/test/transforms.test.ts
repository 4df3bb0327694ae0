import { connectionNamed, copyEndToEndHeaders } from '../forward/transforms/hop-by-hop';
import { outgoingRequestHeaders } from '../forward/transforms/request-headers';
import { outgoingResponseHeaders } from '../forward/transforms/response-headers';

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
    expect(out).toEqual({
      'content-type': 'text/html', 'transfer-encoding': 'chunked', 'set-cookie': ['sid=abc; HttpOnly', 'strangler_id=x; Path=/'],
      'x-strangler-route': 'product-detail', 'x-strangler-backend': 'legacy-fallback', via: '1.1 strangler',
    });
  });
});

test('Connection: keep-alive or close names nothing beyond itself; other names are dropped in any case', () => {
  expect(connectionNamed('keep-alive')).toBeNull();
  expect(connectionNamed('Close')).toBeNull();
  expect([...(connectionNamed('keep-alive, X-Secret') ?? [])]).toEqual(['keep-alive', 'x-secret']);
  const to: Record<string, string | string[] | number> = {};
  copyEndToEndHeaders({ connection: 'Keep-Alive', 'keep-alive': 'timeout=5', 'content-type': 'text/plain' }, to);
  expect(to).toEqual({ 'content-type': 'text/plain' });
});
