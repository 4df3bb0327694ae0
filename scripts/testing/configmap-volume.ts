import fs from 'node:fs';
import path from 'node:path';

/**
 * A Kubernetes ConfigMap mounted as a directory, laid out and updated the way kubelet's
 * AtomicWriter does it (kubernetes pkg/volume/util/atomic_writer.go):
 *
 *   ..2026_12_02_10_00_00.123/routing-rules.yaml   the real files, in a timestamped directory
 *   ..data -> ..2026_12_02_10_00_00.123            the current version
 *   routing-rules.yaml -> ..data/routing-rules.yaml
 *
 * An update writes a new timestamped directory, points a new `..data_tmp` symlink at it, renames
 * `..data_tmp` over `..data` (the one atomic step) and removes the old directory. The directory's
 * events name `..data` and the timestamped directories, never `routing-rules.yaml`, whose own
 * symlink does not change.
 */
export class ConfigMapVolume {
  private version = 0;
  private current: string;

  constructor(readonly dir: string, data: Readonly<Record<string, string>>) {
    this.current = this.writeVersion(data);
    fs.symlinkSync(this.current, path.join(dir, '..data'));
    for (const key of Object.keys(data)) fs.symlinkSync(path.join('..data', key), path.join(dir, key));
  }

  /** Where a container sees the key. */
  path(key: string): string {
    return path.join(this.dir, key);
  }

  /** A new version of the ConfigMap, with the same keys. */
  update(data: Readonly<Record<string, string>>): void {
    const next = this.writeVersion(data);
    const tmp = path.join(this.dir, '..data_tmp');
    fs.symlinkSync(next, tmp);
    fs.renameSync(tmp, path.join(this.dir, '..data'));
    fs.rmSync(path.join(this.dir, this.current), { recursive: true });
    this.current = next;
  }

  private writeVersion(data: Readonly<Record<string, string>>): string {
    this.version++;
    const name = `..2026_12_02_10_${String(this.version).padStart(2, '0')}_00.${100 + this.version * 23}`;
    fs.mkdirSync(path.join(this.dir, name));
    for (const [key, text] of Object.entries(data)) fs.writeFileSync(path.join(this.dir, name, key), text);
    return name;
  }
}
