/**
 * The fast HTML reading (html-fast-tree.ts, html-fast-diff.ts) must give exactly what parse5's does
 * (html-tree.ts, html-diff.ts) on every page it accepts, and refuse the pages that need the HTML
 * standard's repairs. Pages from the corpus, hand-written ones for each refusal, and the bench page
 * with one change at each of many places.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { bigPage } from '../../scripts/bench/compare-bench';
import { diffHtml } from '../compare/html-diff';
import { diffFastHtml } from '../compare/html-fast-diff';
import { parseFastHtml, type FastElement } from '../compare/html-fast-tree';
import { parseHtmlDocument, reduceElement, type HtmlElement } from '../compare/html-tree';

function reduced(el: FastElement, preserveAbove: boolean, normalisers: string[]): HtmlElement {
  const own = reduceElement(el, el.childNodes, preserveAbove, normalisers);
  return { tag: own.tag, attrs: own.attrs, text: own.text, children: own.elements.map((c) => reduced(c, own.preserve, normalisers)) };
}

/** The fast reading reduced, or null when it refuses the page. */
function fastTree(html: string, normalisers: string[] = []): { doctype: string | null; root: HtmlElement } | null {
  const doc = parseFastHtml(html);
  return doc === null ? null : { doctype: doc.doctype, root: reduced(doc.root, false, normalisers) };
}

const page = (body: string, head = '<title>t</title>'): string => `<!DOCTYPE html>\n<html lang="en">\n<head>${head}</head>\n<body>\n${body}\n</body>\n</html>\n`;

const regular = [
  page('<main id="cart"><ul><li>a <b>b</b> c</li><li><ul><li>nested</li></ul></li></ul></main>'),
  page('<p>Price: <span class="amount">1.00&nbsp;USD</span> &amp; more &#233; &#x1F600;</p>'),
  page('<pre>\nkept\n  as is</pre><textarea>\nx &amp; y</textarea><script>if (a < b) x();</script><style>p>a{}</style>'),
  page('<table><tbody><tr><td>1</td><td><p>2</p></td></tr></tbody></table>'),
  page('<form><input name="csrf_token" value="abc"><input type="checkbox" checked=checked><select><option selected>1</option><option>2</option></select></form>'),
  page('<div class="b a  b" data-x=unquoted title=\'single\' id="x" id="first wins">x</div><!-- a comment --><br/><img src=a.png>'),
  page('<dl><dt>a</dt><dd>b</dd></dl><h1>t</h1><a href="/"><span>x</span></a><noscript><p>no js</p></noscript>'),
  '<!DOCTYPE html><html><head></head><body><p>open at the end <b>of the page',
  `<html><head></head><body><p>no doctype</p></body></html>`,
  `<!doctype html><html><head>\n<meta charset="utf-8">\n</head>\n<body>x</body>\n</html>\n\n<!-- after -->\n`,
  page('<constructor>a custom element named like an object\'s property</constructor><tostring>x</tostring>'),
];

const refused = [
  page('<p>a<div>b</div></p>'), page('<ul><li>a<li>b</ul>'), page('<table><tr><td>x</td></tr></table>'), page('<b><i>x</b></i>'),
  page('<p>AT&T &copy; 2024</p>'), page('<svg><path d="M0"/></svg>'), page('<template><p>x</p></template>'), page('<a href=1><a href=2>x</a></a>'),
  page('<table>text<tr></tr></table>'), page('<p>x</p>', '<title>t</title><div>in head</div>'), '<p>no html element</p>', page('<p>1 < 2</p>'),
  page('<p>x</p>\r\n'), page('<h1><h2>x</h2></h1>'), page('<select><div>x</div></select>'), page('<p>&#128;</p>'), page('<pre>&#10;x</pre>'),
  page('<p>&valueOf;</p>'), page('<p>&toString;</p>'),
];

const corpus = (parse(fs.readFileSync(path.join(__dirname, 'corpus', 'html.yaml'), 'utf8')) as Array<{ legacy: string; extracted: string; again?: string; config?: { normalisers?: string[] } }>);

test('on every page it reads, the fast reading is the tree parse5 builds', () => {
  const pages = [...regular, ...refused, ...corpus.flatMap((c) => [c.legacy, c.extracted, c.again ?? c.legacy]), bigPage().toString()];
  for (const html of pages) {
    const fast = fastTree(html);
    if (fast !== null) expect({ html, tree: fast }).toEqual({ html, tree: parseHtmlDocument(html, []) });
  }
});

test('it reads well-formed pages and the bench page, and leaves every page that needs repairs to parse5', () => {
  expect(regular.filter((html) => parseFastHtml(html) === null)).toEqual([]);
  expect(refused.filter((html) => parseFastHtml(html) !== null)).toEqual([]);
  expect(parseFastHtml(bigPage().toString())).not.toBeNull();
});

test('corpus pairs: the same differences in the same order', () => {
  for (const c of corpus) {
    const normalisers = c.config?.normalisers ?? [];
    const [a, b] = [parseFastHtml(c.legacy), parseFastHtml(c.extracted)];
    if (a === null || b === null) continue;
    expect(diffFastHtml(a, b, normalisers)).toEqual(diffHtml(parseHtmlDocument(c.legacy, normalisers), parseHtmlDocument(c.extracted, normalisers)));
  }
});

test('the bench page against itself with one change at 40 places: the same differences as parse5', () => {
  const base = bigPage().toString();
  const changes = ['9', ' ', '', 'x<b>y</b>', '<span class="new">n</span>', '"', '&amp;'];
  let compared = 0;
  for (let i = 0; i < 40; i++) {
    const at = Math.floor(((i * 7919) % 1000) / 1000 * base.length);
    const changed = base.slice(0, at) + changes[i % changes.length] + base.slice(at + 1);
    const [a, b] = [parseFastHtml(base), parseFastHtml(changed)];
    if (a === null || b === null) continue;
    compared++;
    expect({ at, paths: diffFastHtml(a, b, []) }).toEqual({ at, paths: diffHtml(parseHtmlDocument(base, []), parseHtmlDocument(changed, [])) });
  }
  expect(compared).toBeGreaterThan(20);
});
