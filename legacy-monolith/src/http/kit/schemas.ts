import type { ProductQuery } from '../../domain/catalog';
import type { CheckoutRequest } from '../../domain/checkout';
import { MAX_LINE_QUANTITY } from '../../domain/cart';
import { badRequest, notFound, ShopError, type FieldError } from '../../domain/errors';
import { digitsOnly, passesLuhn } from '../../domain/payments';
import { validator } from './validate';

/** The request schemas of the shop's public contract, shared by the monolith and the services. */
const SKU = { type: 'string', minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9-]+$' } as const;
const EMAIL = { type: 'string', maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$' } as const;
const QUANTITY = { type: 'integer', minimum: 1, maximum: MAX_LINE_QUANTITY } as const;

export const parseProductQuery = validator<ProductQuery & { inStock?: boolean }>({
  type: 'object',
  properties: {
    category: { type: 'string', pattern: '^[a-z0-9-]{1,40}$' },
    q: { type: 'string', maxLength: 100 },
    colour: { type: 'string', pattern: '^[a-z]{1,20}$' },
    size: { type: 'string', pattern: '^[A-Za-z0-9]{1,5}$' },
    inStock: { type: 'boolean' },
    minPrice: { type: 'integer', minimum: 0 },
    maxPrice: { type: 'integer', minimum: 0 },
    sort: { enum: ['relevance', 'price_asc', 'price_desc', 'name', 'newest'], default: 'relevance' },
    page: { type: 'integer', minimum: 1, maximum: 10000, default: 1 },
    pageSize: { type: 'integer', minimum: 1, maximum: 100, default: 24 },
  },
  additionalProperties: false,
}, 'query');

export const parseIdParam = validator<{ id: number }>({
  type: 'object', properties: { id: { type: 'integer', minimum: 1, maximum: 2147483647 } }, required: ['id'],
}, 'params');

/**
 * The product id of a path (`/product/abc`, `/api/products/0`). A segment that is no id names no
 * product: 404 as for an id the catalog does not have, not a 400 about a field the shopper never typed.
 */
export function parseProductId(raw: string): number {
  try {
    return parseIdParam({ id: raw }).id;
  } catch (error) {
    if (!(error instanceof ShopError)) throw error;
    throw notFound(`Product ${raw}`, 'product');
  }
}

export const parseCartAdd = validator<{ sku: string; quantity: number }>({
  type: 'object', properties: { sku: SKU, quantity: { ...QUANTITY, default: 1 } }, required: ['sku'], additionalProperties: false,
});

export const parseCartUpdate = validator<{ quantity: number }>({
  type: 'object', properties: { quantity: { type: 'integer', minimum: 0, maximum: MAX_LINE_QUANTITY } }, required: ['quantity'], additionalProperties: false,
});

export const parseCoupon = validator<{ code: string }>({
  type: 'object', properties: { code: { type: 'string', minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9]+$' } }, required: ['code'], additionalProperties: false,
});

export const parsePricingQuote = validator<{ lines: Array<{ sku: string; quantity: number }>; coupon?: string }>({
  type: 'object',
  properties: {
    lines: { type: 'array', minItems: 1, maxItems: 50, items: { type: 'object', properties: { sku: SKU, quantity: QUANTITY }, required: ['sku', 'quantity'], additionalProperties: false } },
    coupon: { type: 'string', minLength: 1, maxLength: 32 },
  },
  required: ['lines'],
  additionalProperties: false,
});

const parseCheckoutShape = validator<CheckoutRequest>({
  type: 'object',
  properties: {
    email: EMAIL,
    shipTo: {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 100 },
        line1: { type: 'string', minLength: 1, maxLength: 200 },
        city: { type: 'string', minLength: 1, maxLength: 100 },
        postalCode: { type: 'string', minLength: 2, maxLength: 12 },
        country: { type: 'string', pattern: '^[A-Z]{2}$' },
      },
      required: ['name', 'line1', 'city', 'postalCode', 'country'],
      additionalProperties: false,
    },
    card: {
      type: 'object',
      properties: {
        number: { type: 'string', pattern: '^[0-9 -]{12,23}$' },
        expMonth: { type: 'integer', minimum: 1, maximum: 12 },
        expYear: { type: 'integer', minimum: 2000, maximum: 2100 },
        cvc: { type: 'string', pattern: '^[0-9]{3,4}$' },
      },
      required: ['number', 'expMonth', 'expYear', 'cvc'],
      additionalProperties: false,
    },
  },
  required: ['email', 'shipTo', 'card'],
  additionalProperties: false,
});

/** The checkout body: its shape, then the card's Luhn digit and expiry. */
export function parseCheckout(body: unknown, now: Date): CheckoutRequest {
  const request = parseCheckoutShape(body);
  const fields: FieldError[] = [];
  if (!passesLuhn(digitsOnly(request.card.number))) fields.push({ path: 'card.number', message: 'is not a valid card number' });
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth() + 1;
  if (request.card.expYear < year || (request.card.expYear === year && request.card.expMonth < month)) {
    fields.push({ path: 'card.expYear', message: 'the card has expired' });
  }
  if (fields.length > 0) throw badRequest(fields);
  return request;
}

export const parseRegister = validator<{ email: string; name: string; password: string }>({
  type: 'object',
  properties: { email: EMAIL, name: { type: 'string', minLength: 1, maxLength: 100 }, password: { type: 'string', minLength: 8, maxLength: 200 } },
  required: ['email', 'name', 'password'],
  additionalProperties: false,
});

export const parseLogin = validator<{ email: string; password: string }>({
  type: 'object',
  properties: { email: { type: 'string', minLength: 1, maxLength: 254 }, password: { type: 'string', minLength: 1, maxLength: 200 } },
  required: ['email', 'password'],
  additionalProperties: false,
});

export function idempotencyKeyOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  if (!/^[\x21-\x7e]{1,255}$/.test(header)) throw badRequest([{ path: 'headers.idempotency-key', message: 'must be 1-255 visible ASCII characters' }]);
  return header;
}
