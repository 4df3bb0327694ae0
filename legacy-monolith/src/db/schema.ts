/**
 * The shop's one database. Legacy and the extracted services open the same file (the "shared
 * database" stage of a strangler migration), so this schema is the contract between them.
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS categories (
  id INTEGER PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS products (
  id INTEGER PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  category_id INTEGER NOT NULL REFERENCES categories(id),
  base_price_cents INTEGER NOT NULL CHECK (base_price_cents > 0),
  weight_grams INTEGER NOT NULL CHECK (weight_grams >= 0),
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS products_category ON products(category_id, id);
CREATE TABLE IF NOT EXISTS product_images (
  product_id INTEGER NOT NULL REFERENCES products(id),
  position INTEGER NOT NULL,
  url TEXT NOT NULL,
  PRIMARY KEY (product_id, position)
);
CREATE TABLE IF NOT EXISTS variants (
  sku TEXT PRIMARY KEY,
  product_id INTEGER NOT NULL REFERENCES products(id),
  size TEXT,
  colour TEXT,
  stock INTEGER NOT NULL CHECK (stock >= 0)
);
CREATE INDEX IF NOT EXISTS variants_product ON variants(product_id);
CREATE TABLE IF NOT EXISTS promotions (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  code TEXT UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('percent', 'fixed', 'bxgy')),
  value INTEGER NOT NULL,
  buy_qty INTEGER,
  get_qty INTEGER,
  scope TEXT NOT NULL CHECK (scope IN ('all', 'category', 'product')),
  scope_ref TEXT,
  starts_at TEXT NOT NULL,
  ends_at TEXT NOT NULL,
  stackable INTEGER NOT NULL DEFAULT 0,
  exclusive INTEGER NOT NULL DEFAULT 0,
  min_subtotal_usd_cents INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
  sid TEXT PRIMARY KEY,
  user_id INTEGER REFERENCES users(id),
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cart_items (
  sid TEXT NOT NULL,
  sku TEXT NOT NULL REFERENCES variants(sku),
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  added_at TEXT NOT NULL,
  PRIMARY KEY (sid, sku)
);
CREATE TABLE IF NOT EXISTS cart_coupons (
  sid TEXT PRIMARY KEY,
  code TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
  id INTEGER PRIMARY KEY,
  sid TEXT NOT NULL,
  user_id INTEGER,
  email TEXT NOT NULL,
  region TEXT NOT NULL,
  currency TEXT NOT NULL,
  subtotal INTEGER NOT NULL,
  discount INTEGER NOT NULL,
  shipping INTEGER NOT NULL,
  tax INTEGER NOT NULL,
  tax_included INTEGER NOT NULL,
  total INTEGER NOT NULL,
  coupon TEXT,
  status TEXT NOT NULL,
  card_brand TEXT NOT NULL,
  card_last4 TEXT NOT NULL,
  auth_code TEXT NOT NULL,
  ship_to TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_sid ON orders(sid);
CREATE TABLE IF NOT EXISTS order_lines (
  order_id INTEGER NOT NULL REFERENCES orders(id),
  position INTEGER NOT NULL,
  sku TEXT NOT NULL,
  product_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  unit_price INTEGER NOT NULL,
  discount INTEGER NOT NULL,
  line_total INTEGER NOT NULL,
  PRIMARY KEY (order_id, position)
);
-- Written by legacy and extracted checkout alike, in the same transaction as the order, so a
-- retry of a keyed checkout on the other side finds the order instead of creating a second one.
CREATE TABLE IF NOT EXISTS idempotency_keys (
  key TEXT PRIMARY KEY,
  request_hash TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
  order_id INTEGER REFERENCES orders(id),
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS payment_authorisations (
  id INTEGER PRIMARY KEY,
  order_id INTEGER REFERENCES orders(id),
  auth_code TEXT NOT NULL,
  amount INTEGER NOT NULL,
  currency TEXT NOT NULL,
  card_last4 TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('authorised', 'voided')),
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cms_pages (
  slug TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  body_html TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cms_banners (
  id INTEGER PRIMARY KEY,
  region TEXT NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  link TEXT NOT NULL,
  position INTEGER NOT NULL,
  starts_at TEXT NOT NULL,
  ends_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;
