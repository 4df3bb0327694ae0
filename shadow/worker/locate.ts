import fs from 'node:fs';
import path from 'node:path';

const ENTRY = 'worker-main.js';

/**
 * The compiled worker entry. A worker thread runs plain JavaScript: from dist/ it sits next to
 * this file; when this file was loaded from TypeScript sources (ts-jest, ts-node), the worker is
 * the compiled one under <repo>/dist/, so sources and dist must be built from the same tree.
 */
export function workerScript(): string {
  let script = path.join(__dirname, ENTRY);
  if (!__filename.endsWith('.js')) {
    const root = repoRoot(__dirname);
    script = path.join(root, 'dist', path.relative(root, __dirname), ENTRY);
  }
  if (!fs.existsSync(script)) throw new Error(`the shadow worker is not built: ${script} is missing; run \`npm run build\``);
  return script;
}

function repoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}: cannot find dist/ for the shadow worker; run \`npm run build\` in the repository`);
  }
}
