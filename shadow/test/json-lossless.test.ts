import { canonicalNumber, JsonNumber, JsonSyntaxError, parseJsonLossless, sameNumber, stringifyJson } from '../compare/json-lossless';

const n = (source: string): JsonNumber => new JsonNumber(source);

describe('numbers compared by their value as written', () => {
  test.each([
    ['100', '1e2'], ['100', '100.0'], ['100', '1.00E+2'], ['0.5', '5e-1'], ['-0', '0'], ['0.0', '0e10'], ['1.0', '1'], ['-1.50e3', '-1500'],
    ['9007199254740993', '9007199254740993.0'], ['1e999999999999999999999', '10e999999999999999999998'],
    // The same double, written two ways: one value to any JSON reader.
    ['0.1', '0.10000000000000001'], ['129.9', '129.90000000000001'], ['1e-400', '0'],
  ])('%s equals %s', (a, b) => {
    expect(sameNumber(n(a), n(b))).toBe(true);
  });
  test.each([
    ['9007199254740993', '9007199254740992'], ['12345678901234567890', '12345678901234567891'], ['10000000000000001', '1e16'], ['9007199254740992', '9007199254740992.0000000001'],
    ['1', '-1'], ['1e2', '1e3'], ['1e999999999999999999999', '1e999999999999999999998'], ['100', '10'],
  ])('%s differs from %s', (a, b) => {
    expect(sameNumber(n(a), n(b))).toBe(false);
  });
  test('canonical form: sign, significant digits, exponent', () => {
    expect(canonicalNumber('-1.50e3')).toBe('-15e2');
    expect(canonicalNumber('-0.0')).toBe('0');
    expect(canonicalNumber('0.0012')).toBe('12e-4');
  });
});

describe('the lossless parser', () => {
  test('keeps every number\'s text and reads everything else as JSON.parse does', () => {
    const text = '{"id": 9007199254740993, "price": 12.50, "name": "Caf\\u00e9 \\"best\\"", "tags": ["a", true, false, null], "nested": {"e": -1e-7}}';
    const value = parseJsonLossless(text) as Record<string, unknown>;
    expect(value.id).toEqual(n('9007199254740993'));
    expect(value.name).toBe('Café "best"');
    expect(stringifyJson(value as never)).toBe('{"id":9007199254740993,"price":12.50,"name":"Café \\"best\\"","tags":["a",true,false,null],"nested":{"e":-1e-7}}');
    // Without its numbers, the same value JSON.parse gives.
    const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (x instanceof JsonNumber ? Number(x.source) : x)));
    expect(plain(value)).toEqual(JSON.parse(text));
  });
  test('a key named __proto__ is a plain field; the last of two equal keys wins', () => {
    const value = parseJsonLossless('{"__proto__": {"polluted": true}, "a": 1, "a": 2}') as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(value.a).toEqual(n('2'));
  });
  test.each([
    ['', /end of JSON/], ['{"a":1,}', /string key/], ['[1 2]', /expected , or \]/], ['01', /after the JSON value/], ['-', /malformed number/],
    ['"a\u0001"', /control character/], ['"abc', /unterminated/], ['"\\x"', /malformed escape/], ['{"a" 1}', /expected :/], ['tru', /unexpected character/],
    ['1.', /after the JSON value/], ['NaN', /unexpected character/],
  ])('refuses %j with a clear error', (text, message) => {
    expect(() => parseJsonLossless(text)).toThrow(JsonSyntaxError);
    expect(() => parseJsonLossless(text)).toThrow(message);
  });
  test('refuses nesting deeper than 1000 rather than overflowing the stack', () => {
    expect(() => parseJsonLossless('['.repeat(5000) + ']'.repeat(5000))).toThrow(/nested deeper than 1000/);
    expect(parseJsonLossless('['.repeat(900) + ']'.repeat(900))).toEqual(expect.any(Array));
  });
});
