/**
 * Regions the shop sells in: currency, how prices are converted and rounded, tax and shipping.
 * Base prices are stored in US cents; each region converts and rounds them its own way, as the
 * retailer's merchandising team decided years ago (charm prices in the US, 5-cent steps in the
 * euro zone, whole tens of yen in APAC).
 */
export type RegionCode = 'us' | 'eu' | 'apac';

export interface Region {
  readonly code: RegionCode;
  readonly currency: 'USD' | 'EUR' | 'JPY';
  /** Digits after the decimal point of the currency: minor units per major unit = 10^exponent. */
  readonly exponent: number;
  /** Local minor units per US cent. */
  readonly fxFromUsdCents: number;
  /** Prices shown to shoppers include tax (VAT/GST) when true; US sales tax is added at checkout. */
  readonly taxIncluded: boolean;
  readonly round: (minor: number) => number;
  /**
   * Discounts come in whole steps of this many minor units, so a discounted price stays on the
   * shelf's grid: tens of yen in APAC, like its list prices; any cent in the US and EU (their
   * charm and 5-cent roundings are for list prices only).
   */
  readonly discountStep: number;
  /** Tax rate by category slug, with a default for every other category. */
  readonly taxRates: Readonly<Record<string, number>> & { readonly default: number };
  /** Shipping: flat price up to each weight (grams), then a per-kg surcharge; free above a subtotal. */
  readonly shipping: {
    readonly brackets: ReadonlyArray<{ readonly upToGrams: number; readonly price: number }>;
    readonly perExtraKg: number;
    readonly freeFromSubtotal: number;
  };
}

/** Round up to the next price ending in 99 minor units (charm pricing): 1234 -> 1299. */
function charm99(minor: number): number {
  const next = Math.ceil((minor + 1) / 100) * 100 - 1;
  return Math.max(99, next);
}

/** APAC shelf prices are whole tens of yen. */
const YEN_SHELF_STEP = 10;

/** Round half up to a multiple of `step` minor units. */
function toStep(step: number): (minor: number) => number {
  return (minor) => Math.max(step, Math.round(minor / step) * step);
}

export const REGIONS: Readonly<Record<RegionCode, Region>> = Object.freeze({
  us: {
    code: 'us', currency: 'USD', exponent: 2, fxFromUsdCents: 1, taxIncluded: false, round: charm99, discountStep: 1,
    taxRates: { default: 0.0725, grocery: 0, books: 0 },
    shipping: { brackets: [{ upToGrams: 1000, price: 599 }, { upToGrams: 5000, price: 999 }], perExtraKg: 150, freeFromSubtotal: 7500 },
  },
  eu: {
    code: 'eu', currency: 'EUR', exponent: 2, fxFromUsdCents: 0.92, taxIncluded: true, round: toStep(5), discountStep: 1,
    taxRates: { default: 0.2, books: 0.05, grocery: 0.05, toys: 0.2 },
    shipping: { brackets: [{ upToGrams: 1000, price: 495 }, { upToGrams: 5000, price: 895 }], perExtraKg: 120, freeFromSubtotal: 6000 },
  },
  apac: {
    code: 'apac', currency: 'JPY', exponent: 0, fxFromUsdCents: 1.5, taxIncluded: true, round: toStep(YEN_SHELF_STEP), discountStep: YEN_SHELF_STEP,
    taxRates: { default: 0.1, grocery: 0.08 },
    shipping: { brackets: [{ upToGrams: 1000, price: 800 }, { upToGrams: 5000, price: 1400 }], perExtraKg: 250, freeFromSubtotal: 10000 },
  },
});

export const REGION_CODES: readonly RegionCode[] = ['us', 'eu', 'apac'];

export function isRegionCode(value: unknown): value is RegionCode {
  return value === 'us' || value === 'eu' || value === 'apac';
}

/** The shelf price of a product in a region, from its base price in US cents. */
export function localPrice(region: Region, baseUsdCents: number): number {
  return region.round(Math.round(baseUsdCents * region.fxFromUsdCents));
}

export function taxRate(region: Region, categorySlug: string): number {
  const rate = region.taxRates[categorySlug];
  return rate === undefined ? region.taxRates.default : rate;
}

/**
 * Tax on an amount: added on top when the region's prices exclude tax (US), or the share already
 * inside a tax-inclusive price (EU VAT, APAC GST). Half-up rounding to the minor unit.
 */
export function taxOn(region: Region, amount: number, rate: number): number {
  if (region.taxIncluded) return Math.round((amount * rate) / (1 + rate));
  return Math.round(amount * rate);
}

export function shippingCost(region: Region, weightGrams: number, merchandiseSubtotal: number): number {
  if (weightGrams <= 0) return 0;
  if (merchandiseSubtotal >= region.shipping.freeFromSubtotal) return 0;
  for (const bracket of region.shipping.brackets) {
    if (weightGrams <= bracket.upToGrams) return bracket.price;
  }
  const last = region.shipping.brackets[region.shipping.brackets.length - 1];
  const extraKg = Math.ceil((weightGrams - last.upToGrams) / 1000);
  return last.price + extraKg * region.shipping.perExtraKg;
}

/** "12.99 USD", "1,230 JPY": for pages only; the API always speaks minor units. */
export function formatMoney(region: Region, minor: number): string {
  const major = minor / 10 ** region.exponent;
  const text = major.toLocaleString('en-US', { minimumFractionDigits: region.exponent, maximumFractionDigits: region.exponent });
  return `${text} ${region.currency}`;
}
