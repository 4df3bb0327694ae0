import fs from 'node:fs';
import path from 'node:path';

/**
 * Calls `onChange` (debounced) when the rules file changes. It watches the directory, not the
 * file: editors and `strangler ramp` replace the file by rename, which a watch on the old inode
 * would never see.
 *
 * A Kubernetes ConfigMap mounted as a directory changes without the file's name in any event:
 * `routing-rules.yaml` is a symlink to `..data/routing-rules.yaml`, and kubelet updates the volume
 * by renaming a new `..data` symlink over the old one (its AtomicWriter). So an event that names
 * the first entry of the file's symlink target, in the same directory, counts as a change too.
 */
export function watchRulesFile(file: string, onChange: () => void, debounceMs = 75): () => void {
  const resolved = path.resolve(file);
  const dir = path.dirname(resolved);
  let timer: NodeJS.Timeout | null = null;
  const watcher = fs.watch(dir, { persistent: false }, (_event, name) => {
    // Read again on every event: the file may have become (or stopped being) a symlink.
    if (name !== null && !namesThatChangeIt(resolved).has(name.toString())) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => { timer = null; onChange(); }, debounceMs);
  });
  watcher.on('error', () => undefined);
  return () => {
    if (timer) clearTimeout(timer);
    watcher.close();
  };
}

/** The file's own name, plus the entry of its directory its symlink goes through (`..data` in a ConfigMap volume). */
export function namesThatChangeIt(file: string): ReadonlySet<string> {
  const dir = path.dirname(file);
  const names = new Set([path.basename(file)]);
  let target: string;
  try {
    target = fs.readlinkSync(file);
  } catch {
    return names; // not a symlink, or not there right now
  }
  const inDir = path.relative(dir, path.resolve(dir, target));
  const first = inDir.split(path.sep)[0];
  if (first !== '' && first !== '..' && !path.isAbsolute(inDir)) names.add(first);
  return names;
}
