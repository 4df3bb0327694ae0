import { redactBody, redactTarget } from '../redact';

const json = (value: unknown): Record<string, unknown> => JSON.parse(redactBody(JSON.stringify(value), 'application/json', 10_000)) as Record<string, unknown>;

test('an error\'s or a product\'s `code` is kept in JSON samples; secrets named by what they are are not', () => {
  expect(json({ error: { code: 'not_found', message: 'no product 9' } })).toEqual({ error: { code: 'not_found', message: 'no product 9' } });
  expect(json({ coupon: { code: 'SAVE15' }, author: 'Ada', inside: true })).toEqual({ coupon: { code: 'SAVE15' }, author: 'Ada', inside: true });
  expect(json({ authorization: 'Bearer t' })).toEqual({ authorization: '[redacted]' });
  expect(json({ password: 'p', authToken: 't', sid: 's', sessionId: 'x', cvc: '123', cardNumber: '1', verification_code: '991', otpCode: '1', apiKey: 'k', email: 'a' }))
    .toEqual({ password: '[redacted]', authToken: '[redacted]', sid: '[redacted]', sessionId: '[redacted]', cvc: '[redacted]', cardNumber: '[redacted]', verification_code: '[redacted]', otpCode: '[redacted]', apiKey: '[redacted]', email: '[redacted]' });
});

test('in a query string, OAuth\'s `code` is still blanked, with the other secret-named parameters', () => {
  expect(redactTarget('/callback?code=abc123&state=xyz')).toBe('/callback?code=[redacted]&state=xyz');
  expect(redactTarget('/api/products?sort=price_asc&token=t')).toBe('/api/products?sort=price_asc&token=[redacted]');
});

test('a query value is scanned as decoded too: a percent-encoded e-mail address or a card number with encoded spaces is masked; other values keep their encoding', () => {
  expect(redactTarget('/orders?contact=ann%40example.com&page=2')).toBe('/orders?contact=[email]&page=2');
  expect(redactTarget('/pay?ref=4111%201111%201111%201111')).toBe('/pay?ref=[card]');
  expect(redactTarget('/pay?ref=4111+1111+1111+1111')).toBe('/pay?ref=[card]');
  expect(redactTarget('/search?q=red%20shoes&bad=%E0%A4%A')).toBe('/search?q=red%20shoes&bad=%E0%A4%A');
});
