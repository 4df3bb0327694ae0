import { differences, judge, type ShadowAnswer } from '../compare/compare';
import { diffHtml } from '../compare/html-diff';
import { parseHtmlDocument } from '../compare/html-tree';

const config = { ignore: [], arrayKeys: {}, normalisers: [] };
const diff = (a: string, b: string, normalisers: string[] = []): string[] => diffHtml(parseHtmlDocument(a, normalisers), parseHtmlDocument(b, normalisers));
const page = (main: string): string => `<!doctype html><html><head><title>Shop</title></head><body><main id="cart">${main}</main></body></html>`;
const html = (body: string): ShadowAnswer => ({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: Buffer.from(body), truncated: false, undecodable: null, ms: 1 });

describe('HTML that renders the same compares equal', () => {
  test.each([
    ['attribute order and quoting', '<div class="x" id="y" data-a=\'1\'>t</div>', '<div id=y data-a="1" class="x">t</div>'],
    ['class token order, repeats and spacing', '<p class="a b">t</p>', '<p class="  b a a ">t</p>'],
    ['void elements with and without a slash', '<p>a<br>b<img src="x.png" alt=""></p>', '<p>a<br/>b<img src="x.png" alt="" /></p>'],
    ['character references', '<p title="Tom &amp; Jerry">Caf&eacute; &amp; &lt;b&gt; &nbsp;</p>', '<p title="Tom &#38; Jerry">Café &#x26; &#60;b&#62; \u00a0</p>'],
    ['tag and attribute case', '<P CLASS="x">t</P>', '<p class="x">t</p>'],
    ['comments', '<p>a<!-- rendered at 12:00 --> b</p><!-- x -->', '<p>a b</p>'],
    ['indentation between blocks', '<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n<div>\n\t<p>c</p>\n</div>', '<ul><li>a</li><li>b</li></ul><div><p>c</p></div>'],
    ['runs of whitespace in text, and at a block\'s edges', '<p>  Total:\n   12 EUR  </p>', '<p>Total: 12 EUR</p>'],
    ['boolean attributes by presence', '<input type="checkbox" checked disabled>', '<input type="checkbox" checked="checked" disabled="">'],
    ['implied tags', '<p>a<p>b<table><tr><td>1</table>', '<p>a</p><p>b</p><table><tbody><tr><td>1</td></tr></tbody></table>'],
    ['a fragment and the document around it', '<!doctype html><title>T</title><p>x', '<!DOCTYPE html><html><head><title>T</title></head><body><p>x</p></body></html>'],
    ['whitespace beside form controls and images (a gap between boxes)', '<form><label>Qty <input name="q"></label>\n  <button>Add</button> <img src="x.png"></form>', '<form><label>Qty<input name="q"></label><button>Add</button><img src="x.png"></form>'],
    ['nonces and CSRF tokens', '<script nonce="n1">go()</script><input name="csrf_token" value="abc"><meta name="csrf-token" content="t1">', '<script nonce="n2">go()</script><input value="zzz" name="csrf_token"><meta content="t2" name="csrf-token">'],
  ])('%s', (_name, a, b) => {
    expect(diff(page(a), page(b))).toEqual([]);
  });
  test('route normalisers mask UUIDs and timestamps in text and attributes', () => {
    expect(diff(page('<p data-id="0b7f0f9e-8a7e-4c1e-9d6b-1f2e3d4c5b6a">at 2026-01-02T03:04:05Z</p>'), page('<p data-id="9a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b">at 2026-02-03T04:05:06.123Z</p>'), ['uuid', 'timestamp'])).toEqual([]);
  });
});

describe('HTML that renders differently differs, at a readable path', () => {
  test.each([
    ['a price', '<p>Mug</p><p>Total: <span class="amount">12 EUR</span></p>', '<p>Mug</p><p>Total: <span class="amount">13 EUR</span></p>', ['html.body.main(#cart).p[1].span(.amount): text']],
    ['a class token', '<p class="a b">t</p>', '<p class="a c">t</p>', ['html.body.main(#cart).p(.a.b): @class']],
    ['an attribute', '<a href="/cart">Cart</a>', '<a href="/basket">Cart</a>', ['html.body.main(#cart).a: @href']],
    ['an attribute on one side only', '<button>Buy</button>', '<button disabled>Buy</button>', ['html.body.main(#cart).button: @disabled']],
    ['whitespace inside <pre>', '<pre>a  b\n c</pre>', '<pre>a b\nc</pre>', ['html.body.main(#cart).pre: text']],
    ['whitespace inside <textarea>', '<textarea>a\n\nb</textarea>', '<textarea>a\nb</textarea>', ['html.body.main(#cart).textarea: text']],
    ['a space between two inline elements', '<p><b>a</b> <i>b</i></p>', '<p><b>a</b><i>b</i></p>', ['html.body.main(#cart).p: text']],
    ['a non-breaking space for a space', '<p>a&nbsp;b</p>', '<p>a b</p>', ['html.body.main(#cart).p: text']],
    ['text moved past an element', '<p>a<b>x</b>c</p>', '<p>ac<b>x</b></p>', ['html.body.main(#cart).p: text']],
    ['an escaped tag against a real one', '<p>&lt;b&gt;x&lt;/b&gt;</p>', '<p><b>x</b></p>', ['html.body.main(#cart).p: text', 'html.body.main(#cart).p.b']],
    ['an element more', '<ul><li>a</li><li>b</li></ul>', '<ul><li>a</li><li>b</li><li class="new">c</li></ul>', ['html.body.main(#cart).ul.li[2](.new)']],
    ['an element of another tag', '<div><h2>Cart</h2></div>', '<div><h3>Cart</h3></div>', ['html.body.main(#cart).div.h2', 'html.body.main(#cart).div.h3']],
  ])('%s', (_name, a, b, paths) => {
    expect(diff(page(a), page(b))).toEqual(paths);
  });
  test('a missing doctype (quirks mode) differs', () => {
    expect(diff('<!doctype html><p>x</p>', '<p>x</p>')).toEqual(['doctype']);
  });
  test('at most three classes in a hint, sorted; an id wins over classes', () => {
    expect(diff(page('<p class="d c b a">1</p>'), page('<p class="d c b a">2</p>'))).toEqual(['html.body.main(#cart).p(.a.b.c): text']);
    expect(diff(page('<p id="total" class="x">1</p>'), page('<p id="total" class="x">2</p>'))).toEqual(['html.body.main(#cart).p(#total): text']);
  });
  test('<template> content is compared', () => {
    expect(diff(page('<template><b>1</b></template>'), page('<template><b>2</b></template>'))).toEqual(['html.body.main(#cart).template.b: text']);
  });
});

describe('noise in an HTML page is cancelled per element and attribute, never for the whole page', () => {
  const render = (renderId: string, price: string): ShadowAnswer => html(page(`<div data-render="${renderId}"><p class="price">${price}</p></div><footer><p>rendered ${renderId}</p></footer>`));
  test('a render id that changes on every answer is noise; a price that extracted changed is still a mismatch', () => {
    const verdict = judge(render('r1', '12 EUR'), render('r2', '12 EUR'), render('r3', '13 EUR'), config);
    expect(verdict.mismatches).toEqual(['html.body.main(#cart).div.p(.price): text']);
    expect(verdict.noise).toEqual(expect.arrayContaining(['html.body.main(#cart).div: @data-render', 'html.body.main(#cart).footer.p: text']));
  });
  test('with only the noise differing, the page matches', () => {
    expect(judge(render('r1', '12 EUR'), render('r2', '12 EUR'), render('r3', '12 EUR'), config).mismatches).toEqual([]);
  });
  test('an ignore entry covers an element and everything in it', () => {
    const ignoring = { ...config, ignore: ['html.body.main.footer', 'html.body.main(#cart).div'] };
    expect(differences(render('r1', '12 EUR'), render('r3', '13 EUR'), ignoring)).toEqual([]);
    // `[]` stands for any index; an attribute of every item.
    const list = (cls: string): ShadowAnswer => html(page(`<ul><li class="${cls}">a</li><li class="${cls}">b</li></ul>`));
    expect(differences(list('x'), list('y'), config)).toEqual(['html.body.main(#cart).ul.li[0](.x): @class', 'html.body.main(#cart).ul.li[1](.x): @class']);
    expect(differences(list('x'), list('y'), { ...config, ignore: ['html.body.main.ul.li[]: @class'] })).toEqual([]);
  });
});

test('text bodies are compared line by line, so one noisy line does not hide another', () => {
  const css = (build: string, colour: string): ShadowAnswer => ({ ...html(`/* build ${build} */\n.price { color: ${colour}; }\n`), headers: { 'content-type': 'text/css' } });
  const verdict = judge(css('a1', 'red'), css('b2', 'red'), css('c3', 'blue'), config);
  expect(verdict).toMatchObject({ mismatches: ['body.line#2'], noise: ['body.line#1'] });
});
