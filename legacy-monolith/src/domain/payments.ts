import crypto from 'node:crypto';

/**
 * A simulated card processor. Documented test cards (any future expiry, any 3-4 digit CVC):
 *   4242 4242 4242 4242  Visa, approved
 *   5555 5555 5555 4444  Mastercard, approved
 *   4000 0000 0000 0002  declined: card_declined
 *   4000 0000 0000 9995  declined: insufficient_funds
 * Any other number that passes the Luhn check is approved. Only the last four digits are kept.
 */
export const TEST_CARDS = Object.freeze({
  approveVisa: '4242424242424242',
  approveMastercard: '5555555555554444',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
});

const DECLINES: Readonly<Record<string, string>> = {
  [TEST_CARDS.declined]: 'card_declined',
  [TEST_CARDS.insufficientFunds]: 'insufficient_funds',
};

export function digitsOnly(cardNumber: string): string {
  return cardNumber.replace(/[\s-]/g, '');
}

/** ISO/IEC 7812 Luhn check. */
export function passesLuhn(digits: string): boolean {
  if (!/^\d{12,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return sum % 10 === 0;
}

export function cardBrand(digits: string): string {
  if (digits.startsWith('4')) return 'visa';
  if (/^5[1-5]/.test(digits) || /^2[2-7]/.test(digits)) return 'mastercard';
  if (/^3[47]/.test(digits)) return 'amex';
  return 'card';
}

export type PaymentDecision =
  | { approved: true; brand: string; last4: string }
  | { approved: false; brand: string; last4: string; reason: string };

/** What the processor will answer for a card; pure, so a dry run can know it without charging. */
export function decidePayment(cardNumber: string): PaymentDecision {
  const digits = digitsOnly(cardNumber);
  const brand = cardBrand(digits);
  const last4 = digits.slice(-4);
  const reason = DECLINES[digits];
  return reason ? { approved: false, brand, last4, reason } : { approved: true, brand, last4 };
}

export function newAuthCode(): string {
  return `AUTH-${crypto.randomBytes(4).toString('hex').toUpperCase()}`;
}

/** The processor's round trip, slow like a real one; configurable by PAYMENT_LATENCY_MS. */
export function processorLatencyMs(): number {
  const raw = Number(process.env.PAYMENT_LATENCY_MS ?? 20);
  return Number.isFinite(raw) && raw >= 0 ? raw : 20;
}
