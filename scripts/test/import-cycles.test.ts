/**
 * No import cycles in proxy/, shadow/ or scripts/: type-only and dynamic imports count too (a
 * shared type goes in a small module of its own that both sides import).
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, tempDir } from '../testing/processes';
import { importCycles, importGraph } from './import-cycles';

function chains(root: string, folders: string[]): string[] {
  const graph = importGraph(folders.map((folder) => path.join(root, folder)));
  return importCycles(graph).map((cycle) => cycle.map((file) => path.relative(root, file)).join(' -> '));
}

test('the finder sees cycles through type-only, re-export and dynamic imports', () => {
  const root = tempDir('cycles');
  const write = (file: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  write('a/types.ts', "import type { Condition } from './conditions';\nexport type Rule = { when: Condition };\n");
  write('a/conditions.ts', "import { cookie } from '../b/identity';\nexport type Condition = string;\nexport const c = cookie;\n");
  write('b/identity.ts', "export type { Rule } from '../a/types';\nexport const cookie = 1;\n");
  write('c/main.ts', "export async function start() { await import('./worker'); }\n");
  write('c/worker.ts', "import { start } from './main';\nexport const go = start;\n");
  write('c/leaf.ts', "import { go } from './worker';\nimport fs from 'node:fs';\nexport const x = [go, fs];\n");
  expect(chains(root, ['a', 'b', 'c'])).toEqual([
    'a/conditions.ts -> b/identity.ts -> a/types.ts -> a/conditions.ts',
    'c/main.ts -> c/worker.ts -> c/main.ts',
  ]);
});

test('proxy/, shadow/ and scripts/ have no import cycles', () => {
  // Each line is one cycle, as a chain of files from one back to itself.
  expect(chains(REPO_ROOT, ['proxy', 'shadow', 'scripts'])).toEqual([]);
});
