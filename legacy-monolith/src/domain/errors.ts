/** A failure the shop reports to its caller: HTTP status, a stable code, and the offending fields. */
export interface FieldError { readonly path: string; readonly message: string }

export class ShopError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: readonly FieldError[] = [],
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export const badRequest = (fields: readonly FieldError[], message = 'The request is invalid'): ShopError =>
  new ShopError(400, 'invalid_request', message, fields);
/** A missing thing. `noun` is what a shopper calls it ("product"), for the storefront's sentence; the API shows `message`. */
export class NotFoundError extends ShopError {
  constructor(what: string, readonly noun: string | null) {
    super(404, 'not_found', `${what} not found`);
  }
}

export const notFound = (what: string, noun: string | null = null): ShopError => new NotFoundError(what, noun);
export const outOfStock = (sku: string, available: number): ShopError =>
  new ShopError(409, 'out_of_stock', `Only ${available} of ${sku} left in stock`, [], { sku, available });
