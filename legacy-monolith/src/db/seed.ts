import type { ShopDb } from './open';
import { prng } from './prng';

/**
 * A deterministic catalogue: the same seed gives the same shop on every machine, so tests and
 * screenshots agree. 9 categories x 62 products = 558 products.
 */
const CATEGORIES = [
  { slug: 'apparel', name: 'Apparel', nouns: ['T-Shirt', 'Hoodie', 'Jacket', 'Sweater', 'Shirt', 'Dress'], sized: ['XS', 'S', 'M', 'L', 'XL'], grams: [200, 900], price: [1500, 12000] },
  { slug: 'footwear', name: 'Footwear', nouns: ['Sneaker', 'Boot', 'Sandal', 'Loafer', 'Runner'], sized: ['38', '40', '42', '44', '46'], grams: [600, 1800], price: [4000, 18000] },
  { slug: 'electronics', name: 'Electronics', nouns: ['Headphones', 'Speaker', 'Charger', 'Keyboard', 'Mouse', 'Webcam'], sized: null, grams: [100, 2500], price: [1500, 30000] },
  { slug: 'home', name: 'Home', nouns: ['Mug', 'Lamp', 'Throw', 'Vase', 'Cushion', 'Planter'], sized: null, grams: [300, 6000], price: [900, 9000] },
  { slug: 'beauty', name: 'Beauty', nouns: ['Serum', 'Cleanser', 'Balm', 'Mask', 'Oil'], sized: null, grams: [50, 400], price: [800, 6000] },
  { slug: 'books', name: 'Books', nouns: ['Novel', 'Cookbook', 'Atlas', 'Memoir', 'Guide'], sized: null, grams: [250, 1500], price: [900, 4500] },
  { slug: 'toys', name: 'Toys', nouns: ['Puzzle', 'Robot', 'Blocks', 'Kite', 'Plush'], sized: null, grams: [100, 2000], price: [700, 8000] },
  { slug: 'grocery', name: 'Grocery', nouns: ['Coffee', 'Tea', 'Chocolate', 'Granola', 'Honey'], sized: null, grams: [200, 1200], price: [400, 3500] },
  { slug: 'sports', name: 'Sports', nouns: ['Yoga Mat', 'Bottle', 'Racket', 'Ball', 'Backpack'], sized: null, grams: [300, 3000], price: [1200, 15000] },
] as const;

const ADJECTIVES = ['Classic', 'Urban', 'Nordic', 'Everyday', 'Premium', 'Organic', 'Vintage', 'Compact', 'Coastal', 'Alpine', 'Studio', 'Heritage'];
const COLOURS = ['black', 'white', 'navy', 'olive', 'sand', 'red'];
export const PRODUCTS_PER_CATEGORY = 62;
const SEED_TIME = '2024-01-01T00:00:00.000Z';


export interface SeedSummary { categories: number; products: number; variants: number; promotions: number }

/** Creates the catalogue, promotions and CMS content. With reset, empties every table first. */
export function seedShop(db: ShopDb, options: { reset?: boolean } = {}): SeedSummary {
  const rand = prng(20240101);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
  const between = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));

  const run = db.transaction(() => {
    if (options.reset) {
      for (const table of ['order_lines', 'payment_authorisations', 'idempotency_keys', 'orders', 'cart_items', 'cart_coupons',
        'sessions', 'users', 'variants', 'product_images', 'products', 'categories', 'promotions', 'cms_pages', 'cms_banners', 'meta']) {
        db.prepare(`DELETE FROM ${table}`).run();
      }
    }
    const insertCategory = db.prepare('INSERT INTO categories (id, slug, name) VALUES (?, ?, ?)');
    const insertProduct = db.prepare(`INSERT INTO products (id, slug, name, description, category_id, base_price_cents, weight_grams, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    const insertImage = db.prepare('INSERT INTO product_images (product_id, position, url) VALUES (?, ?, ?)');
    const insertVariant = db.prepare('INSERT INTO variants (sku, product_id, size, colour, stock) VALUES (?, ?, ?, ?, ?)');
    let productId = 0;
    let variants = 0;
    CATEGORIES.forEach((category, index) => {
      insertCategory.run(index + 1, category.slug, category.name);
      for (let n = 0; n < PRODUCTS_PER_CATEGORY; n++) {
        productId++;
        const label = `${pick(ADJECTIVES)} ${pick(category.nouns)}`;
        const name = `${label} ${String(n + 1).padStart(2, '0')}`;
        // The product id keeps the slug unique; the name's own number would only repeat it.
        const slug = `${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${productId}`;
        const price = Math.round(between(category.price[0], category.price[1]) / 100) * 100 - 1;
        insertProduct.run(productId, slug, name, `${name}, a favourite of our ${pick(ADJECTIVES).toLowerCase()} ${category.name.toLowerCase()} range.`,
          index + 1, price, between(category.grams[0], category.grams[1]), SEED_TIME);
        for (let position = 0; position < 2; position++) {
          insertImage.run(productId, position, `/images/products/${productId}/${position}.svg`); // drawn by the shop itself
        }
        const colours = [pick(COLOURS), pick(COLOURS)].filter((c, i, all) => all.indexOf(c) === i);
        const sizes: readonly (string | null)[] = category.sized ?? [null];
        for (const colour of colours) {
          for (const size of sizes) {
            const stock = rand() < 0.08 ? 0 : between(1, 40);
            const sku = `P${productId}-${colour.toUpperCase().slice(0, 3)}${size ? `-${size}` : ''}`;
            insertVariant.run(sku, productId, size, colour, stock);
            variants++;
          }
        }
      }
    });

    const insertPromotion = db.prepare(`INSERT INTO promotions (id, name, code, kind, value, buy_qty, get_qty, scope, scope_ref, starts_at, ends_at, stackable, exclusive, min_subtotal_usd_cents)
      VALUES (@id, @name, @code, @kind, @value, @buy_qty, @get_qty, @scope, @scope_ref, @starts_at, @ends_at, @stackable, @exclusive, @min_subtotal_usd_cents)`);
    const always = { starts_at: '2020-01-01T00:00:00.000Z', ends_at: '2099-01-01T00:00:00.000Z' };
    const promotions = [
      { id: 1, name: 'Apparel week: 20% off', code: null, kind: 'percent', value: 20, scope: 'category', scope_ref: 'apparel', ...always },
      { id: 2, name: 'Footwear: 10 off each pair', code: null, kind: 'fixed', value: 1000, scope: 'category', scope_ref: 'footwear', ...always },
      { id: 3, name: 'Books: buy 2, get 1 free', code: null, kind: 'bxgy', value: 0, buy_qty: 2, get_qty: 1, scope: 'category', scope_ref: 'books', ...always },
      { id: 4, name: 'Electronics: extra 5%', code: null, kind: 'percent', value: 5, scope: 'category', scope_ref: 'electronics', stackable: 1, ...always },
      { id: 5, name: 'Apparel clearance: 10% off', code: null, kind: 'percent', value: 10, scope: 'category', scope_ref: 'apparel', ...always },
      { id: 6, name: 'Welcome: 10% off everything', code: 'WELCOME10', kind: 'percent', value: 10, scope: 'all', stackable: 1, ...always },
      { id: 7, name: '15 off orders over 50', code: 'SAVE15', kind: 'fixed', value: 1500, scope: 'all', exclusive: 1, min_subtotal_usd_cents: 5000, ...always },
      { id: 8, name: 'Summer sale 2020', code: null, kind: 'percent', value: 30, scope: 'all', starts_at: '2020-06-01T00:00:00.000Z', ends_at: '2020-09-01T00:00:00.000Z' },
      { id: 9, name: 'Spring 2099 preview', code: 'SPRING99', kind: 'percent', value: 25, scope: 'all', starts_at: '2099-03-01T00:00:00.000Z', ends_at: '2099-06-01T00:00:00.000Z' },
    ];
    for (const p of promotions) {
      insertPromotion.run({ buy_qty: null, get_qty: null, scope_ref: null, stackable: 0, exclusive: 0, min_subtotal_usd_cents: 0, ...p });
    }

    db.prepare('INSERT INTO cms_pages (slug, title, body_html, updated_at) VALUES (?, ?, ?, ?)').run('about', 'About us',
      '<p>We have sold good things since 2009.</p>', SEED_TIME);
    db.prepare('INSERT INTO cms_pages (slug, title, body_html, updated_at) VALUES (?, ?, ?, ?)').run('shipping', 'Shipping',
      '<p>Free shipping over 75 USD, 60 EUR or 10,000 JPY.</p>', SEED_TIME);
    const insertBanner = db.prepare('INSERT INTO cms_banners (region, title, body, link, position, starts_at, ends_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    insertBanner.run('us', 'Apparel week', '20% off all apparel, automatically.', '/category/apparel', 1, always.starts_at, always.ends_at);
    insertBanner.run('eu', 'Apparel week', '20% off all apparel, automatically.', '/category/apparel', 1, always.starts_at, always.ends_at);
    insertBanner.run('apac', 'Books: buy 2, get 1', 'Mix and match any books.', '/category/books', 1, always.starts_at, always.ends_at);
    insertBanner.run('us', 'New here?', 'Use code WELCOME10 for 10% off.', '/category/home', 2, always.starts_at, always.ends_at);
    db.prepare("INSERT INTO meta (key, value) VALUES ('seeded_at', ?)").run(new Date().toISOString());
    return { categories: CATEGORIES.length, products: productId, variants, promotions: promotions.length };
  });
  return run();
}
