/**
 * Reading the second page only where it differs (html-fast-region.ts) must give exactly what
 * reading it whole gives, and the comparison exactly what parse5's gives, wherever the difference
 * is: at the start or end of the page, inside an attribute, a script or a style, across entity
 * encodings, in whitespace only, under an ignored path or a normaliser, or where it changes how
 * the page reads (then the page is read whole, or by parse5).
 */
import { bigPage } from '../../scripts/bench/compare-bench';
import { sharedText } from '../compare/common-text';
import { differences, type ShadowAnswer } from '../compare/compare';
import { diffHtml } from '../compare/html-diff';
import { parseFastHtmlBeside } from '../compare/html-fast-region';
import { parseFastHtml, type FastDocument, type FastElement } from '../compare/html-fast-tree';
import { parseHtmlDocument, reduceElement, type HtmlElement } from '../compare/html-tree';
import { isIgnored } from '../compare/paths';

function reduced(el: FastElement, preserveAbove: boolean, normalisers: readonly string[]): HtmlElement {
  const own = reduceElement(el, el.childNodes, preserveAbove, normalisers);
  return { tag: own.tag, attrs: own.attrs, text: own.text, children: own.elements.map((c) => reduced(c, own.preserve, normalisers)) };
}
const tree = (doc: FastDocument): { doctype: string | null; root: HtmlElement } => ({ doctype: doc.doctype, root: reduced(doc.root, false, []) });

const answer = (html: string): ShadowAnswer => ({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: Buffer.from(html), truncated: false, undecodable: null, ms: 1 });

/** parse5's differences, with the config's ignore entries and normalisers, as `differences` reports them. */
function parse5Differences(a: string, b: string, ignore: string[], normalisers: string[]): string[] {
  return diffHtml(parseHtmlDocument(a, normalisers), parseHtmlDocument(b, normalisers)).filter((p) => !isIgnored(p, ignore));
}

/** `changed` read beside `base`: null when the shortcut does not apply; when it does, the same tree as read whole. */
function beside(base: string, changed: string): FastDocument | null {
  const first = parseFastHtml(base);
  if (first === null) return null;
  const doc = parseFastHtmlBeside(first, changed, sharedText(base, changed));
  if (doc !== null) expect({ changed, tree: tree(doc) }).toEqual({ changed, tree: tree(parseFastHtml(changed) as FastDocument) });
  return doc;
}

const page = (body: string, head = '<title>t</title><style>p > a { color: red }</style>'): string =>
  `<!DOCTYPE html>\n<html lang="en">\n<head>${head}</head>\n<body>\n<main id="m">\n${body}\n</main>\n<footer><p>end</p></footer>\n</body>\n</html>\n`;
const BODY = '<ul class="items"><li class="item" data-sku="A-1"><a href="/p/1">Mug &amp; Saucer</a> <span class="price">12.00&nbsp;EUR</span></li>'
  + '<li class="item" data-sku="B-2"><a href="/p/2">Plate</a> <span class="price">8.00&nbsp;EUR</span></li></ul>'
  + '<pre>\nkept  as is</pre><script>if (a < b) { x("</p>"); }</script><p>Total: <b>20.00</b></p>'
  + '<form><input type="hidden" name="csrf_token" value="t0k3n"><input name="qty" value="1"></form>';
const BASE = page(BODY);

/** Each: what to change in BASE, and whether the shortcut must apply (else the page is read whole). */
const EDITS: Array<{ name: string; from: string; to: string; shortcut: boolean; ignore?: string[]; normalisers?: string[] }> = [
  { name: 'text in a span', from: '12.00', to: '13.00', shortcut: true },
  { name: 'inside an attribute value', from: 'data-sku="B-2"', to: 'data-sku="B-3"', shortcut: true },
  { name: 'an attribute added', from: '<a href="/p/2">', to: '<a href="/p/2" rel="x">', shortcut: true },
  { name: 'inside a script', from: 'x("</p>")', to: 'y("</p>")', shortcut: true },
  { name: 'a script end tag moved into the script', from: 'x("</p>"); }</script>', to: 'x("</script>"); }</script>', shortcut: false },
  { name: 'inside the style in the head', from: 'color: red', to: 'color: blue', shortcut: false },
  { name: 'the same character written as another entity', from: 'Mug &amp; Saucer', to: 'Mug &#38; Saucer', shortcut: true },
  { name: 'an entity for a different character', from: '12.00&nbsp;EUR', to: '12.00&#160;EUR', shortcut: true },
  { name: 'an unknown entity (parse5 reads it)', from: 'Plate', to: 'Plate &copy;', shortcut: false },
  { name: 'whitespace only, collapsed', from: '<a href="/p/1">Mug &amp; Saucer</a> <span', to: '<a href="/p/1">Mug &amp;   Saucer</a>\n\n <span', shortcut: true },
  { name: 'whitespace only, inside <pre>', from: 'kept  as is', to: 'kept as is', shortcut: true },
  { name: 'the line feed a <pre> drops', from: '<pre>\nkept', to: '<pre>kept', shortcut: true },
  { name: 'a line feed added at the start of a <pre>', from: '<pre>\nkept', to: '<pre>\n\nkept', shortcut: true },
  { name: 'at the very start of the page', from: '<!DOCTYPE html>', to: '<!doctype HTML>', shortcut: false },
  { name: 'at the very end of the page', from: '</html>\n', to: '</html>\n\n', shortcut: false },
  { name: 'in the footer after the main', from: '<p>end</p>', to: '<p>fin</p>', shortcut: true },
  { name: 'two differences far apart (one element holds both)', from: 'Mug &amp;', to: 'Cup &amp;', shortcut: true },
  { name: 'an element added between two siblings', from: '</li><li class="item" data-sku="B-2">', to: '</li><li class="item">new</li><li class="item" data-sku="B-2">', shortcut: true },
  { name: 'an element left unclosed, so the enclosing one ends elsewhere', from: '<b>20.00</b>', to: '<b>20.00', shortcut: false },
  { name: 'the enclosing element closed early and a new one opened', from: '12.00&nbsp;', to: '12.00</span></li><li class="item"><span class="price">&nbsp;', shortcut: false },
  { name: 'a repair introduced (a block inside a <p>)', from: '<b>20.00</b>', to: '<div>20.00</div>', shortcut: false },
  { name: 'a carriage return introduced', from: 'Plate', to: 'Pl\r\nate', shortcut: false },
  { name: 'under an ignored path', from: '12.00', to: '99.00', shortcut: true, ignore: ['html.body.main.ul.li[].span'] },
  { name: 'a CSRF token', from: 't0k3n', to: 'other', shortcut: true },
  { name: 'a uuid under its normaliser', from: 'Plate', to: 'Plate 123e4567-e89b-12d3-a456-426614174000', shortcut: true, normalisers: ['uuid'] },
];

describe('the second page read only where it differs', () => {
  test.each(EDITS)('$name: the same tree as read whole, the same differences as parse5', ({ from, to, shortcut, ignore = [], normalisers = [] }) => {
    expect(BASE.includes(from)).toBe(true);
    let changed = BASE.replace(from, to);
    // Two far-apart differences: the second one in the last item.
    if (from === 'Mug &amp;') changed = changed.replace('Plate', 'Bowl');
    expect(beside(BASE, changed) !== null).toBe(shortcut);
    const config = { ignore, arrayKeys: {}, normalisers };
    expect(differences(answer(BASE), answer(changed), config)).toEqual(parse5Differences(BASE, changed, ignore, normalisers));
    // And the other way round (the second page is the first's base).
    expect(differences(answer(changed), answer(BASE), config)).toEqual(parse5Differences(changed, BASE, ignore, normalisers));
  });

  test('a difference under an ignored path is no difference; a uuid under its normaliser is none either', () => {
    const config = { ignore: ['html.body.main.ul.li[].span'], arrayKeys: {}, normalisers: ['uuid'] };
    expect(differences(answer(BASE), answer(BASE.replace('12.00', '99.00')), config)).toEqual([]);
    expect(differences(answer(BASE), answer(BASE.replace('Plate', 'Plate 123e4567-e89b-12d3-a456-426614174000')), config))
      .toEqual(differences(answer(BASE), answer(BASE.replace('Plate', 'Plate 00000000-0000-0000-0000-000000000000')), config));
  });

  test('the bench page with one change at 30 places: the shortcut reads most of them, always as the whole reading would', () => {
    const base = bigPage().toString();
    const changes = ['9', ' ', '', 'x<b>y</b>', '<span class="new">n</span>', '"', '&amp;', '\n', '</p>', '<p>'];
    let shortcuts = 0;
    for (let i = 0; i < 30; i++) {
      const at = Math.floor(((i * 7919) % 1000) / 1000 * base.length);
      const changed = base.slice(0, at) + changes[i % changes.length] + base.slice(at + 1);
      if (beside(base, changed) !== null) shortcuts++;
      expect({ at, paths: differences(answer(base), answer(changed), { ignore: [], arrayKeys: {}, normalisers: [] }) })
        .toEqual({ at, paths: parse5Differences(base, changed, [], []) });
    }
    expect(shortcuts).toBeGreaterThan(15);
  });
});
