import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';

export interface Position { line: number; column: number }
export type PathSegment = string | number;

/** A parsed YAML document that can say where any value or key is (1-based line and column). */
export class PositionedDocument {
  private constructor(readonly doc: Document, private readonly lines: LineCounter) {}

  static parse(text: string): PositionedDocument {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
    return new PositionedDocument(doc, lines);
  }

  at(offset: number): Position {
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }

  /** The node at a path, or the deepest existing ancestor when the path runs out. */
  private nodeAt(path: readonly PathSegment[]): Node | null {
    let node: unknown = this.doc.contents;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === segment);
        if (!pair) return node as Node;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
        node = node.items[segment];
      } else {
        return (node as Node) ?? null;
      }
    }
    return (node as Node) ?? null;
  }

  /** Where the value at `path` starts. */
  valueAt(path: readonly PathSegment[]): Position {
    const node = this.nodeAt(path);
    return node?.range ? this.at(node.range[0]) : { line: 1, column: 1 };
  }

  /** Where the text of the string at `path` starts: after its opening quote when it is quoted. */
  textAt(path: readonly PathSegment[]): Position {
    const node = this.nodeAt(path);
    const start = this.valueAt(path);
    const quoted = isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE');
    return quoted ? { line: start.line, column: start.column + 1 } : start;
  }

  /** Where the key `key` of the map at `path` starts (for unknown or misplaced keys). */
  keyAt(path: readonly PathSegment[], key: string): Position {
    const node = this.nodeAt(path);
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
      if (pair && isScalar(pair.key) && pair.key.range) return this.at(pair.key.range[0]);
    }
    return node?.range ? this.at(node.range[0]) : { line: 1, column: 1 };
  }
}
