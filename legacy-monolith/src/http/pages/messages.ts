import { NotFoundError, type ShopError } from '../../domain/errors';
import type { CouponStatus } from '../../domain/pricing';

/**
 * What the storefront tells a shopper, in sentences. The JSON API keeps the stable codes
 * (`min_subtotal_not_met`, `shipTo.name`); pages never show them.
 */

const FIELD_LABELS: Readonly<Record<string, string>> = {
  email: 'e-mail address', password: 'password', name: 'name',
  'shipTo.name': 'name', 'shipTo.line1': 'address', 'shipTo.city': 'city', 'shipTo.postalCode': 'postal code', 'shipTo.country': 'country',
  'card.number': 'card number', 'card.expMonth': 'expiry month', 'card.expYear': 'expiry year', 'card.cvc': 'CVC',
  quantity: 'quantity', sku: 'item', code: 'coupon code',
};

const DECLINE_REASONS: Readonly<Record<string, string>> = {
  card_declined: 'Your card was declined. Please try another card.',
  insufficient_funds: 'Your card was declined for insufficient funds. Please try another card.',
};

/** The field a validation path names, as a shopper would call it (`shipTo.name` → "name"). */
function fieldLabel(path: string): string {
  return FIELD_LABELS[path] ?? FIELD_LABELS[path.split('.').slice(-1)[0]] ?? 'details';
}

export function errorSentence(error: ShopError): string {
  switch (error.code) {
    case 'invalid_request': {
      if (error.fields.some((f) => f.path === 'cart')) return 'Your cart is empty.';
      const labels = [...new Set(error.fields.map((f) => fieldLabel(f.path)))];
      return labels.length === 0 ? 'Please check the form and try again.' : `Please check your ${joinWords(labels)}.`;
    }
    case 'payment_declined': return DECLINE_REASONS[String(error.details.reason)] ?? 'Your card was declined. Please try another card.';
    case 'out_of_stock': return `Sorry, only ${String(error.details.available)} of that item ${error.details.available === 1 ? 'is' : 'are'} left.`;
    case 'unknown_coupon': return error.details.current
      ? `We don't know the coupon ${String(error.details.coupon)}. Your coupon ${String(error.details.current)} still applies.`
      : `We don't know the coupon ${String(error.details.coupon)}.`;
    case 'invalid_credentials': return 'That e-mail address and password do not match an account.';
    case 'email_taken': return 'An account with that e-mail address already exists. Log in instead?';
    case 'idempotency_key_in_progress': return 'Your order is still being placed. Please wait a moment.';
    case 'idempotency_key_reused': return 'This order form was already used for a different order. Please start checkout again.';
    case 'not_found': return error instanceof NotFoundError && error.noun ? `We could not find that ${error.noun}.` : 'We could not find that.';
    default: return 'Something went wrong. Please try again.';
  }
}

export function couponSentence(code: string, status: CouponStatus): string {
  switch (status) {
    case 'applied': return `Coupon ${code} is applied.`;
    case 'unknown': return `We don't know the coupon ${code}.`;
    case 'expired': return `Coupon ${code} has expired.`;
    case 'not_started': return `Coupon ${code} is not valid yet.`;
    case 'min_subtotal_not_met': return `Coupon ${code} needs a larger order before it applies.`;
    case 'not_combinable': return `Coupon ${code} cannot be combined with the offers already in your cart.`;
  }
}

/** The sort menu's options: the code goes in the form, the label on screen. */
export const SORT_LABELS: ReadonlyArray<readonly [string, string]> = [
  ['relevance', 'Relevance'], ['price_asc', 'Price: low to high'], ['price_desc', 'Price: high to low'], ['name', 'Name'], ['newest', 'Newest'],
];

function joinWords(words: readonly string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}
