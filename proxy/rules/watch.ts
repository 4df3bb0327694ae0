import fs from 'node:fs';
import path from 'node:path';

/**
 * Calls `onChange` (debounced) when the rules file changes. It watches the directory, not the
 * file: editors and `strangler ramp` replace the file by rename, which a watch on the old inode
 * would never see.
 */
export function watchRulesFile(file: string, onChange: () => void, debounceMs = 75): () => void {
  const dir = path.dirname(path.resolve(file));
  const base = path.basename(file);
  let timer: NodeJS.Timeout | null = null;
  const watcher = fs.watch(dir, { persistent: false }, (_event, name) => {
    if (name !== null && name.toString() !== base) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => { timer = null; onChange(); }, debounceMs);
  });
  watcher.on('error', () => undefined);
  return () => {
    if (timer) clearTimeout(timer);
    watcher.close();
  };
}
