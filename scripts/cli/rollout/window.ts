import type { PercentEvent } from '../../../shadow/store/evidence';

export interface StepWindow {
  /** Start of the current step's window (ms since the epoch). */
  readonly since: number;
  /** The change that started it, as the store knows it (or will, once `hand` is recorded). */
  readonly startedBy: PercentEvent;
  /** A change made by hand that the store did not know: to be recorded, unless nothing may be written. */
  readonly hand: PercentEvent | null;
}

/**
 * Pure. The window starts at the last percent change the store knows. When the file's percent is
 * not what the store last recorded (or nothing was recorded), someone edited the file by hand: the
 * file has had this percent since at least its modification time, so the window starts there
 * (never in the future, never before the last recorded change).
 */
export function stepWindow(route: string, percent: number, last: PercentEvent | null, fileMtimeMs: number, now: number, file: string, who: string): StepWindow {
  if (last !== null && last.toPercent === percent) return { since: last.at, startedBy: last, hand: null };
  const at = Math.max(last?.at ?? -Infinity, Math.min(Math.floor(fileMtimeMs), now));
  const hand: PercentEvent = { at, route, fromPercent: last?.toPercent ?? null, toPercent: percent, action: 'hand', who, file };
  return { since: at, startedBy: hand, hand };
}
