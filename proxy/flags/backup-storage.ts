import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ClientFeaturesResponse } from 'unleash-client/lib/feature';
import type { StorageProvider } from 'unleash-client/lib/repository/storage-provider';

/**
 * unleash-client's backup of the last fetched flags, kept in the proxy's data directory. Unlike
 * the SDK's own file provider it writes a temporary file and renames it over the backup, so a
 * proxy killed mid-write leaves the previous backup whole instead of half a file.
 */
export class AtomicBackupStorage implements StorageProvider<ClientFeaturesResponse> {
  constructor(private readonly dir: string) {}

  fileFor(key: string): string {
    return path.join(this.dir, `unleash-backup-${key.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
  }

  async set(key: string, data: ClientFeaturesResponse): Promise<void> {
    const file = this.fileFor(key);
    const temp = `${file}.${process.pid}.tmp`;
    await fs.mkdir(this.dir, { recursive: true });
    await fs.writeFile(temp, JSON.stringify(data));
    await fs.rename(temp, file);
  }

  async get(key: string): Promise<ClientFeaturesResponse | undefined> {
    const file = this.fileFor(key);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as ClientFeaturesResponse;
    } catch (error) {
      throw new Error(`the Unleash backup ${file} is not valid JSON (${(error as Error).message}); it is ignored until the next successful fetch replaces it`);
    }
  }
}
