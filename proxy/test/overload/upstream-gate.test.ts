import { UpstreamGate, type ShedReason } from '../../overload/upstream-gate';
import type { Priority } from '../../overload/waiting-line';

/** A gate on a clock the test moves; the limit starts at its floor (3) while it measures. */
function gate() {
  let now = 0;
  const shed: Array<[Priority, ShedReason]> = [];
  const g = new UpstreamGate(0, () => now, { shed: (p, reason) => shed.push([p, reason]), admitted: () => undefined });
  return { g, shed, at: (ms: number) => { now = ms; } };
}

describe('the gate in front of one upstream', () => {
  test('beyond the limit requests wait; a free slot goes to critical first, then normal, then low, first come first served within one', () => {
    const { g } = gate();
    expect([g.tryEnter(), g.tryEnter(), g.tryEnter(), g.tryEnter()]).toEqual([true, true, true, false]);
    const order: string[] = [];
    const wait = (p: Priority, name: string) => g.wait(p, 1000, 0, (ok) => order.push(ok ? name : `shed ${name}`));
    wait(2, 'low'); wait(1, 'normal-1'); wait(0, 'critical'); wait(1, 'normal-2');
    expect(g.queued).toBe(4);
    for (let i = 0; i < 3; i++) g.leave(null, 3, 10 + i);
    expect(order).toEqual(['critical', 'normal-1', 'normal-2']);
    g.leave(null, 3, 20);
    expect(order).toEqual(['critical', 'normal-1', 'normal-2', 'low']);
    g.close();
  });

  test('a waiter past max_queue is shed; a critical one is kept while a normal or low one waits', () => {
    const { g, shed, at } = gate();
    for (let i = 0; i < 3; i++) g.tryEnter();
    const settled: string[] = [];
    g.wait(1, 200, 0, (ok) => settled.push(`normal ${ok}`));
    g.wait(0, 50, 0, (ok) => settled.push(`critical ${ok}`));
    at(120);
    g.sweep(120);
    expect(settled).toEqual([]); // the critical one is past its time, but a normal one still waits behind it
    at(250);
    g.sweep(250);
    expect(settled).toEqual(['normal false', 'critical false']);
    expect(shed).toEqual([[1, 'queue-timeout'], [0, 'queue-timeout']]);
    g.close();
  });

  test('a shopper who leaves while waiting is taken out of the line and never sent', () => {
    const { g } = gate();
    for (let i = 0; i < 3; i++) g.tryEnter();
    let sent = false;
    const w = g.wait(1, 1000, 0, () => { sent = true; });
    g.cancel(w);
    expect(g.queued).toBe(0);
    g.leave(null, 3, 5);
    expect(sent).toBe(false);
    expect(g.tryEnter()).toBe(true);
    g.close();
  });

  test('once the upstream\'s pace is known, a newcomer that could not be sent within max_queue is shed at once; a critical one takes the newest normal one\'s place', () => {
    const { g, shed } = gate();
    for (let i = 0; i < 3; i++) g.tryEnter();
    // Saturated: one completion per 10 ms (100/s) while requests wait, and each frees a slot that is refilled.
    const settled: string[] = [];
    for (let i = 0; i < 3; i++) g.wait(1, 10_000, 0, () => undefined);
    for (let t = 10; t <= 600; t += 10) { g.leave(null, 3, t); g.wait(1, 10_000, t, () => undefined); }
    // 100/s and a 50 ms max_queue: 5 may wait; 3 do, so 2 more fit and the next is shed at once.
    expect(g.queued).toBe(3);
    g.wait(1, 50, 600, (ok) => settled.push(`a ${ok}`));
    g.wait(1, 50, 600, (ok) => settled.push(`b ${ok}`));
    g.wait(1, 50, 600, (ok) => settled.push(`c ${ok}`));
    expect(settled).toEqual(['c false']);
    expect(shed[shed.length - 1]).toEqual([1, 'queue-full']);
    expect(g.queued).toBe(5);
    // A critical newcomer takes the newest normal waiter's place (b), and the line stays as long.
    g.wait(0, 50, 600, (ok) => settled.push(`critical ${ok}`));
    expect(settled).toEqual(['c false', 'b false']);
    expect(shed[shed.length - 1]).toEqual([1, 'displaced']);
    expect(g.queued).toBe(5);
    // The next free slot is the critical one's.
    g.leave(null, 3, 610);
    expect(settled).toEqual(['c false', 'b false', 'critical true']);
    g.close();
  });
});
