import { judge, type ShadowAnswer } from '../compare/compare';
import { redactBody, redactTarget, redactText } from '../redact';

const json = (body: unknown, status = 200, headers: Record<string, string> = {}): ShadowAnswer => ({
  status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: Buffer.from(JSON.stringify(body)), truncated: false, undecodable: null, ms: 1,
});
const config = { ignore: ['body.generatedAt'], arrayKeys: {}, normalisers: [] };

describe('judging legacy against extracted, Diffy style', () => {
  test('a differing field is a mismatch at its path; a field that differs between two legacy answers is noise', () => {
    const legacy = json({ price: 100, nonce: 'a1', generatedAt: 't1', items: [{ sku: 'A', qty: 1 }] });
    const again = json({ price: 100, nonce: 'b2', generatedAt: 't2', items: [{ sku: 'A', qty: 1 }] });
    const extracted = json({ price: 101, nonce: 'c3', generatedAt: 't3', items: [{ sku: 'A', qty: 2 }] });
    expect(judge(legacy, again, extracted, config)).toMatchObject({ mismatches: ['body.price', 'body.items[0].qty'], noise: ['body.nonce'], outcome: 'mismatch' });
  });
  test('known noise explains a difference without a second legacy answer, and is reported as noise', () => {
    const legacy = json({ price: 100, nonce: 'a1', items: [{ id: 'x1' }] });
    const extracted = json({ price: 100, nonce: 'c3', items: [{ id: 'x2' }] });
    // What the mirror does in steady state: judge with the route's learned noise and no second call.
    expect(judge(legacy, null, extracted, config, new Set(['body.nonce', 'body.items[].id']))).toMatchObject({ mismatches: [], noise: ['body.nonce', 'body.items[0].id'], outcome: 'match' });
    // Without that knowledge the same answers are mismatches, which is when the mirror asks legacy again.
    expect(judge(legacy, null, extracted, config).mismatches).toEqual(['body.nonce', 'body.items[0].id']);
  });
  test('arrays pair by a named key instead of by index', () => {
    const legacy = json({ items: [{ sku: 'A', qty: 1 }, { sku: 'B', qty: 2 }] });
    const extracted = json({ items: [{ sku: 'B', qty: 2 }, { sku: 'A', qty: 1 }] });
    expect(judge(legacy, null, extracted, { ...config, arrayKeys: { 'body.items': 'sku' } }).mismatches).toEqual([]);
    expect(judge(legacy, null, extracted, config).mismatches).toEqual(['body.items[0].sku', 'body.items[0].qty', 'body.items[1].sku', 'body.items[1].qty']);
  });
  test('status, content type, location and cookie names are compared', () => {
    const a = json({}, 200, { location: '/a', 'set-cookie': 'sid=1; HttpOnly' } as Record<string, string>);
    const b = json({}, 201, { location: '/b', 'set-cookie': 'other=1' } as Record<string, string>);
    expect(judge(a, null, b, config).mismatches).toEqual(['status', 'headers.location', 'headers.set-cookie']);
  });
});

describe('numbers compared losslessly, by their value as written', () => {
  const raw = (body: string): ShadowAnswer => ({ status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body), truncated: false, undecodable: null, ms: 1 });
  test('ids past 2^53 that JSON.parse would round to the same double differ', () => {
    expect(judge(raw('{"id": 9007199254740993}'), null, raw('{"id": 9007199254740992}'), config).mismatches).toEqual(['body.id']);
    expect(judge(raw('[12345678901234567890]'), null, raw('[12345678901234567891]'), config).mismatches).toEqual(['body[0]']);
  });
  test('100, 1e2 and 100.0 are equal; so are -0 and 0', () => {
    expect(judge(raw('{"a": 100, "b": -0, "c": 1.0}'), null, raw('{"a": 1e2, "b": 0, "c": 1}'), config).mismatches).toEqual([]);
    expect(judge(raw('{"a": 100}'), null, raw('{"a": 100.0}'), config).mismatches).toEqual([]);
  });
  test('a sample keeps a big id as it was sent', () => {
    expect(redactBody('{"orderId": 9007199254740993, "password": 12345}', 'application/json', 1000)).toBe('{"orderId":9007199254740993,"password":"[redacted]"}');
  });
});

describe('a body past the capture cap is not compared, and never a match', () => {
  const cut = (body: string, status = 200, headers: Record<string, string> = {}): ShadowAnswer => ({ ...json({}, status, headers), body: Buffer.from(body), truncated: true });
  test('the same first bytes on both sides: truncated, not a match (what differs may be past the cap)', () => {
    expect(judge(cut('{"items": [1, 2, 3'), cut('{"items": [1, 2, 3'), cut('{"items": [1, 2, 3'), config)).toMatchObject({ outcome: 'truncated', mismatches: [], differing: ['body(truncated)'] });
  });
  test('past the cap on one side only: truncated', () => {
    expect(judge(json({ a: 1 }), json({ a: 1 }), cut('{"a": 1, "b": '), config)).toMatchObject({ outcome: 'truncated', mismatches: [] });
  });
  test('a status or header that differs is still a mismatch: it was compared', () => {
    expect(judge(cut('x'), cut('x'), cut('x', 500), config)).toMatchObject({ outcome: 'mismatch', mismatches: ['status'] });
    expect(judge(cut('x'), cut('x'), cut('x', 200, { location: '/elsewhere' }), config)).toMatchObject({ outcome: 'mismatch', mismatches: ['headers.location'] });
  });
  test('legacy\'s own two answers both past the cap are not noise that could explain anything', () => {
    expect(judge(cut('x'), cut('x'), json({ a: 1 }), config)).toMatchObject({ outcome: 'truncated', noise: [] });
  });
});

describe('redaction', () => {
  test('card numbers that pass Luhn, e-mails, secret query parameters and JSON fields', () => {
    expect(redactText('card 4242 4242 4242 4242 and 4242-4242-4242-4241 mail ada@example.com')).toBe('card [card] and 4242-4242-4242-4241 mail [email]');
    expect(redactTarget('/api/x?token=abc&q=ok&api_key=k&email=a%40b.co')).toBe('/api/x?token=[redacted]&q=ok&api_key=[redacted]&email=[redacted]');
    const body = redactBody(JSON.stringify({ email: 'a@b.co', password: 'hunter2', card: { number: '4242424242424242', cvc: '123' }, note: 'call 5555 5555 5555 4444' }), 'application/json', 1000);
    expect(body).not.toMatch(/hunter2|4242424242424242|a@b\.co|"123"|5555 5555 5555 4444/);
  });
});
