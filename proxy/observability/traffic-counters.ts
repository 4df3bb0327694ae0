import { emptyDelta, latencyBucket, type TrafficBackend, type TrafficDelta } from '../../shadow/store/traffic';

/** One route's counters for the minute being counted. */
interface RouteMinute {
  minute: number;
  legacy: TrafficDelta | null;
  extracted: TrafficDelta | null;
}

/**
 * The evidence counters on the shoppers' thread: per route, per side, per minute, the requests,
 * failures, fallbacks and a latency histogram. `take` hands over what was counted since the last
 * take (the store adds it to what it has), so many processes can write one store.
 */
export class TrafficCounters {
  private readonly routes = new Map<string, RouteMinute>();
  private finished: TrafficDelta[] = [];

  observe(route: string, backend: TrafficBackend, failed: boolean, fellBack: boolean, ms: number, now: number): void {
    const minute = now - (now % 60_000);
    let entry = this.routes.get(route);
    if (entry === undefined) {
      entry = { minute, legacy: null, extracted: null };
      this.routes.set(route, entry);
    } else if (entry.minute !== minute) {
      this.finish(entry);
      entry.minute = minute;
    }
    const delta = entry[backend] ?? (entry[backend] = emptyDelta(minute, route, backend));
    delta.requests++;
    if (failed) delta.failures++;
    if (fellBack) delta.fallbacks++;
    delta.latencyMsSum += ms;
    delta.latency[latencyBucket(ms)]++;
  }

  /** Everything counted since the last call, the current minute included (counting goes on from zero). */
  take(): TrafficDelta[] {
    for (const entry of this.routes.values()) this.finish(entry);
    const all = this.finished;
    this.finished = [];
    return all;
  }

  private finish(entry: RouteMinute): void {
    if (entry.legacy !== null) this.finished.push(entry.legacy);
    if (entry.extracted !== null) this.finished.push(entry.extracted);
    entry.legacy = null;
    entry.extracted = null;
  }
}
