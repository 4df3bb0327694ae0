/**
 * Just enough Markdown reading for the docs test: which lines are code, the links on the others,
 * and the anchors GitHub gives each heading. Not a Markdown parser: the docs are plain
 * CommonMark (fenced code with ```, inline code with single backticks, [text](target) links).
 */

export interface MarkdownLine {
  /** 1-based line number in the file. */
  readonly number: number;
  readonly text: string;
  /** Inside a fenced code block (the fence lines included). */
  readonly fenced: boolean;
}

export function markdownLines(markdown: string): MarkdownLine[] {
  let fenced = false;
  return markdown.split('\n').map((text, index) => {
    const fence = /^\s*(```|~~~)/.test(text);
    const line = { number: index + 1, text, fenced: fenced || fence };
    if (fence) fenced = !fenced;
    return line;
  });
}

/** The line with its inline code spans removed, so that `[a](b)` in code is not a link. */
export function withoutInlineCode(text: string): string {
  return text.replace(/`[^`]*`/g, '');
}

/** The inline code spans of a line, without their backticks. */
export function inlineCode(text: string): string[] {
  return [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
}

/** Link and image targets outside code: `[text](target)`, `![alt](target "title")`. */
export function linkTargets(line: MarkdownLine): string[] {
  if (line.fenced) return [];
  return [...withoutInlineCode(line.text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]);
}

/** GitHub's heading anchor: lower case, punctuation dropped (not `-` or `_`), spaces to `-`. */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link in a heading anchors by its text
    .replace(/[`*]/g, '');
  return text.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** Every anchor the file's headings get, with GitHub's `-1`, `-2` suffixes for repeats. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of markdownLines(markdown)) {
    const heading = line.fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line.text);
    if (!heading) continue;
    const slug = githubSlug(heading[1]);
    const count = seen.get(slug) ?? 0;
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
    seen.set(slug, count + 1);
  }
  return anchors;
}
