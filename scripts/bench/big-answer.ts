/**
 * The ~200 KB answer: a catalogue page of product-like objects, the same bytes every time (no
 * clock, no randomness), so both sides of a shadow comparison serve identical documents.
 */
const CATEGORIES = ['apparel', 'footwear', 'books', 'electronics', 'grocery', 'home'];
const COLOURS = ['red', 'blue', 'green', 'black', 'white', 'grey', 'navy', 'olive'];
const SIZES = ['XS', 'S', 'M', 'L', 'XL'];
const WORDS = ['soft', 'durable', 'everyday', 'classic', 'light', 'warm', 'organic', 'recycled', 'compact', 'sturdy', 'washable', 'handmade'];

function words(seed: number, count: number): string {
  return Array.from({ length: count }, (_, i) => WORDS[(seed * 7 + i * 5) % WORDS.length]).join(' ');
}

function product(i: number): object {
  const id = i + 1;
  const category = CATEGORIES[i % CATEGORIES.length];
  const colours = COLOURS.slice(i % 4, (i % 4) + 2 + (i % 3));
  return {
    id, sku: `P${id}`, name: `Everyday ${category} ${String(id).padStart(3, '0')}`, category,
    description: words(id, 22),
    price: { amount: 499 + ((id * 7919) % 20000), currency: 'USD', exponent: 2 },
    variants: colours.map((colour, v) => ({ sku: `P${id}-${colour.toUpperCase()}-${SIZES[(i + v) % SIZES.length]}`, colour, size: SIZES[(i + v) % SIZES.length], stock: (id * 31 + v * 17) % 50 })),
    tags: [category, WORDS[id % WORDS.length]],
    rating: { average: ((id * 37) % 50) / 10, count: (id * 53) % 900 },
  };
}

/** The serialised document, built once by the upstream at start. */
export function bigAnswer(count = 350): Buffer {
  const products = Array.from({ length: count }, (_, i) => product(i));
  return Buffer.from(JSON.stringify({ products, page: 1, pageSize: count, total: count, generatedAt: '2026-01-01T00:00:00Z' }));
}
