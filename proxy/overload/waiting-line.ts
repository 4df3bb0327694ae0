/** critical, normal, low: the order in which waiting requests get a free slot. */
export type Priority = 0 | 1 | 2;
export const PRIORITIES = ['critical', 'normal', 'low'] as const;
export type PriorityName = (typeof PRIORITIES)[number];

/** One request waiting for a slot; `settle(true)` sends it, `settle(false)` sheds it. */
export interface Waiter {
  readonly priority: Priority;
  readonly enqueuedAt: number;
  /** When it is shed if still waiting (enqueuedAt + max_queue). */
  readonly deadline: number;
  readonly settle: (admitted: boolean) => void;
  /** Settled or cancelled: skipped wherever it still sits. */
  done: boolean;
}

/**
 * Three first-in-first-out lines, one per priority, as arrays with a moving head (no allocation
 * per request beyond the waiter itself). A cancelled waiter is marked done and skipped later, so
 * a shopper who leaves costs O(1).
 */
export class WaitingLine {
  private readonly lines: [Waiter[], Waiter[], Waiter[]] = [[], [], []];
  private readonly heads = [0, 0, 0];
  private readonly live = [0, 0, 0];

  get size(): number {
    return this.live[0] + this.live[1] + this.live[2];
  }

  /** Waiting at this priority or a more urgent one: who goes before a newcomer of `priority`. */
  ahead(priority: Priority): number {
    let n = 0;
    for (let p = 0; p <= priority; p++) n += this.live[p];
    return n;
  }

  push(waiter: Waiter): void {
    this.lines[waiter.priority].push(waiter);
    this.live[waiter.priority]++;
  }

  /** Marks a waiter gone (its shopper left); true when it was still waiting. */
  cancel(waiter: Waiter): boolean {
    if (waiter.done) return false;
    waiter.done = true;
    this.live[waiter.priority]--;
    return true;
  }

  /** The next waiter to send: the oldest of the most urgent priority; null when none waits. */
  shift(): Waiter | null {
    for (let p = 0; p < 3; p++) {
      if (this.live[p] === 0) continue;
      const line = this.lines[p];
      while (this.heads[p] < line.length) {
        const waiter = line[this.heads[p]++];
        if (waiter.done) continue;
        waiter.done = true;
        this.live[p]--;
        this.compact(p as Priority);
        return waiter;
      }
    }
    return null;
  }

  /** The newest waiter less urgent than `than` (the one a critical request displaces); null when none. */
  popNewestBelow(than: Priority): Waiter | null {
    for (let p = 2; p > than; p--) {
      const line = this.lines[p];
      while (line.length > this.heads[p]) {
        const waiter = line.pop()!;
        if (waiter.done) continue;
        waiter.done = true;
        this.live[p]--;
        return waiter;
      }
    }
    return null;
  }

  /**
   * Takes out every waiter whose deadline has passed, least urgent first. A critical one is kept
   * while a normal or low one still waits (it goes before them anyway).
   */
  expired(now: number, out: Waiter[]): void {
    for (let p = 2; p >= 0; p--) {
      if (p === 0 && this.live[1] + this.live[2] > 0) return;
      const line = this.lines[p];
      for (let i = this.heads[p]; i < line.length; i++) {
        const waiter = line[i];
        if (waiter.done || waiter.deadline > now) continue;
        waiter.done = true;
        this.live[p]--;
        out.push(waiter);
      }
      this.compact(p as Priority);
    }
  }

  private compact(p: Priority): void {
    const line = this.lines[p];
    if (this.live[p] === 0) { line.length = 0; this.heads[p] = 0; return; }
    if (this.heads[p] > 1024 && this.heads[p] * 2 > line.length) {
      line.splice(0, this.heads[p]);
      this.heads[p] = 0;
    }
  }
}
