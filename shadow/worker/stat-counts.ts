import type { StatCount } from './protocol';

/** shadow_stats increments kept on the main thread until they are shipped to the worker's store. */
export class StatCounts {
  private readonly counts = new Map<string, StatCount>();

  add(route: string, at: number, field: 'sampled' | 'dropped' | 'errors'): void {
    const minute = Math.floor(at / 60000) * 60000;
    const key = `${minute}\u0000${route}`;
    let entry = this.counts.get(key);
    if (!entry) { entry = { route, at: minute, sampled: 0, dropped: 0, errors: 0 }; this.counts.set(key, entry); }
    entry[field]++;
  }

  get size(): number {
    return this.counts.size;
  }

  take(): StatCount[] {
    const all = [...this.counts.values()];
    this.counts.clear();
    return all;
  }
}
