/**
 * The conversion guard's evidence (DESIGN "Conversion guard"): which shoppers were exposed on a
 * guarded route, on which side, and which of them reached its goal. Shoppers are 53-bit hashes of
 * the route's sticky identity (proxy/decide/shopper-key.ts): no identity is stored.
 *
 * Stored one row per (route, day, shopper, side) and kind, holding the first and last minute the
 * shopper was seen that day: rows are keyed by the shopper, not by the replica, so every worker
 * and replica writing the same shopper lands on the same row (deduplicated), and a shopper seen
 * again costs an update, never a new row. Pure: shared by the proxy, the store and its readers.
 */
import type { TrafficBackend } from './traffic';

export type ShopperKind = 'exposed' | 'converted';

/** One shopper seen in one minute: what the proxy ships (once per minute per route, side and kind). */
export interface ShopperMark {
  readonly kind: ShopperKind;
  readonly route: string;
  readonly side: TrafficBackend;
  readonly shopper: number;
  /** Start of the minute (ms since the epoch). */
  readonly minute: number;
}

/** What the store upserts: a shopper's first and last minute of one UTC day, per route, side and kind. */
export interface ShopperSpan {
  readonly kind: ShopperKind;
  readonly route: string;
  readonly side: TrafficBackend;
  readonly shopper: number;
  readonly day: number;
  firstMinute: number;
  lastMinute: number;
}

export const DAY_MS = 86_400_000;

export const dayOf = (at: number): number => Math.floor(at / DAY_MS) * DAY_MS;

export const spanKey = (s: { kind: string; route: string; side: string; shopper: number; day: number }): string => `${s.kind}\u0000${s.route}\u0000${s.side}\u0000${s.shopper}\u0000${s.day}`;

/** Adds a mark to the spans waiting to be written (keyed by spanKey); false when it would need a new key past `maxKeys`. */
export function addMark(spans: Map<string, ShopperSpan>, mark: ShopperMark, maxKeys: number): boolean {
  const day = dayOf(mark.minute);
  const key = spanKey({ ...mark, day });
  const waiting = spans.get(key);
  if (waiting !== undefined) {
    waiting.firstMinute = Math.min(waiting.firstMinute, mark.minute);
    waiting.lastMinute = Math.max(waiting.lastMinute, mark.minute);
    return true;
  }
  if (spans.size >= maxKeys) return false;
  spans.set(key, { kind: mark.kind, route: mark.route, side: mark.side, shopper: mark.shopper, day, firstMinute: mark.minute, lastMinute: mark.minute });
  return true;
}

/** A window's exposed shoppers per side, and how many of them reached the goal. */
export interface SideShoppers { readonly shoppers: number; readonly converted: number }
export interface WindowShoppers { readonly legacy: SideShoppers; readonly extracted: SideShoppers }

export const NO_SHOPPERS: WindowShoppers = Object.freeze({ legacy: Object.freeze({ shoppers: 0, converted: 0 }), extracted: Object.freeze({ shoppers: 0, converted: 0 }) });

/** The query's rows as both sides' counts (a side nobody was exposed on has zeros). */
export function sidesOf(rows: ReadonlyArray<{ side: string; shoppers: number; converted: number }>): WindowShoppers {
  const side = (name: string) => {
    const row = rows.find((r) => r.side === name);
    return row ? { shoppers: Number(row.shoppers), converted: Number(row.converted) } : NO_SHOPPERS.legacy;
  };
  return { legacy: side('legacy'), extracted: side('extracted') };
}
