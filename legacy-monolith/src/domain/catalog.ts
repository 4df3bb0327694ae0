import type { ShopDb } from '../db/open';
import { notFound } from './errors';
import type { Promotion } from './pricing';
import { localPrice, type Region } from './regions';

export interface Variant { sku: string; size: string | null; colour: string | null; stock: number; inStock: boolean }
export interface Money { amount: number; currency: string; exponent: number; taxIncluded: boolean }
export interface Product {
  id: number;
  slug: string;
  name: string;
  description: string;
  category: { slug: string; name: string };
  price: Money;
  weightGrams: number;
  images: string[];
  variants: Variant[];
  inStock: boolean;
}

export interface ProductQuery {
  category?: string;
  q?: string;
  colour?: string;
  size?: string;
  inStock?: boolean;
  minPrice?: number;
  maxPrice?: number;
  sort: 'relevance' | 'price_asc' | 'price_desc' | 'name' | 'newest';
  page: number;
  pageSize: number;
}

export interface LineFacts {
  sku: string; productId: number; name: string; categorySlug: string; basePriceCents: number; weightGrams: number; stock: number;
}

interface ProductRow {
  id: number; slug: string; name: string; description: string; base_price_cents: number; weight_grams: number;
  category_slug: string; category_name: string;
}
interface VariantRow { sku: string; product_id: number; size: string | null; colour: string | null; stock: number }
interface PromotionRow {
  id: number; name: string; code: string | null; kind: Promotion['kind']; value: number; buy_qty: number | null; get_qty: number | null;
  scope: Promotion['scope']; scope_ref: string | null; starts_at: string; ends_at: string; stackable: number; exclusive: number;
  min_subtotal_usd_cents: number;
}

const PRODUCT_COLUMNS = `p.id, p.slug, p.name, p.description, p.base_price_cents, p.weight_grams, c.slug AS category_slug, c.name AS category_name`;

export function money(region: Region, amount: number): Money {
  return { amount, currency: region.currency, exponent: region.exponent, taxIncluded: region.taxIncluded };
}

/** Read access to products, variants and promotions, with prepared statements made once. */
export class Catalog {
  private readonly byId;
  private readonly variantsOf;
  private readonly imagesOf;
  private readonly categories;
  private readonly lineFacts;
  private readonly promotionRows;
  private readonly exists;

  constructor(private readonly db: ShopDb) {
    this.byId = db.prepare(`SELECT ${PRODUCT_COLUMNS} FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = ?`);
    this.variantsOf = db.prepare('SELECT sku, product_id, size, colour, stock FROM variants WHERE product_id = ? ORDER BY sku');
    this.imagesOf = db.prepare('SELECT url FROM product_images WHERE product_id = ? ORDER BY position');
    this.categories = db.prepare(`SELECT c.slug, c.name, COUNT(p.id) AS products FROM categories c LEFT JOIN products p ON p.category_id = c.id
      GROUP BY c.id ORDER BY c.id`);
    this.lineFacts = db.prepare(`SELECT v.sku, v.product_id, v.stock, p.name, p.base_price_cents, p.weight_grams, c.slug AS category_slug
      FROM variants v JOIN products p ON p.id = v.product_id JOIN categories c ON c.id = p.category_id WHERE v.sku = ?`);
    this.promotionRows = db.prepare('SELECT * FROM promotions ORDER BY id');
    this.exists = db.prepare('SELECT 1 FROM products WHERE id = ?');
  }

  listCategories(): Array<{ slug: string; name: string; products: number }> {
    return this.categories.all() as Array<{ slug: string; name: string; products: number }>;
  }

  categoryExists(slug: string): boolean {
    return this.listCategories().some((c) => c.slug === slug);
  }

  getProduct(region: Region, id: number): Product {
    const row = this.byId.get(id) as ProductRow | undefined;
    if (!row) throw notFound(`Product ${id}`, 'product');
    return this.toProduct(region, row);
  }

  listProducts(region: Region, query: ProductQuery): { items: Product[]; total: number } {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (query.category) { where.push('c.slug = @category'); params.category = query.category; }
    if (query.q) { where.push("(p.name LIKE @q ESCAPE '\\' OR p.description LIKE @q ESCAPE '\\')"); params.q = `%${query.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`; }
    const variantFilters: string[] = [];
    if (query.colour) { variantFilters.push('v.colour = @colour'); params.colour = query.colour.toLowerCase(); }
    if (query.size) { variantFilters.push('v.size = @size'); params.size = query.size.toUpperCase(); }
    if (query.inStock) variantFilters.push('v.stock > 0');
    if (variantFilters.length > 0) where.push(`EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id AND ${variantFilters.join(' AND ')})`);
    const order = {
      relevance: 'p.id', price_asc: 'p.base_price_cents, p.id', price_desc: 'p.base_price_cents DESC, p.id',
      name: 'p.name, p.id', newest: 'p.created_at DESC, p.id DESC',
    }[query.sort];
    const sql = `SELECT ${PRODUCT_COLUMNS} FROM products p JOIN categories c ON c.id = p.category_id
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order}`;
    let rows = this.db.prepare(sql).all(params) as ProductRow[];
    // Local prices are rounded per region, so price bounds are applied after conversion.
    if (query.minPrice !== undefined || query.maxPrice !== undefined) {
      rows = rows.filter((r) => {
        const price = localPrice(region, r.base_price_cents);
        return (query.minPrice === undefined || price >= query.minPrice) && (query.maxPrice === undefined || price <= query.maxPrice);
      });
    }
    const start = (query.page - 1) * query.pageSize;
    return { items: rows.slice(start, start + query.pageSize).map((r) => this.toProduct(region, r)), total: rows.length };
  }

  /** Each variant's stock now (for the live stock feed); undefined when there is no such product. */
  stockOf(productId: number): Array<{ sku: string; stock: number }> | undefined {
    if (this.exists.get(productId) === undefined) return undefined;
    return (this.variantsOf.all(productId) as VariantRow[]).map((v) => ({ sku: v.sku, stock: v.stock }));
  }

  facts(sku: string): LineFacts | undefined {
    const row = this.lineFacts.get(sku) as
      | { sku: string; product_id: number; stock: number; name: string; base_price_cents: number; weight_grams: number; category_slug: string }
      | undefined;
    if (!row) return undefined;
    return {
      sku: row.sku, productId: row.product_id, name: row.name, categorySlug: row.category_slug,
      basePriceCents: row.base_price_cents, weightGrams: row.weight_grams, stock: row.stock,
    };
  }

  promotions(): Promotion[] {
    return (this.promotionRows.all() as PromotionRow[]).map((r) => ({
      id: r.id, name: r.name, code: r.code, kind: r.kind, value: r.value, buyQty: r.buy_qty, getQty: r.get_qty, scope: r.scope,
      scopeRef: r.scope_ref, startsAt: r.starts_at, endsAt: r.ends_at, stackable: r.stackable === 1, exclusive: r.exclusive === 1,
      minSubtotalUsdCents: r.min_subtotal_usd_cents,
    }));
  }

  private toProduct(region: Region, row: ProductRow): Product {
    const variants = (this.variantsOf.all(row.id) as VariantRow[]).map((v) => ({
      sku: v.sku, size: v.size, colour: v.colour, stock: v.stock, inStock: v.stock > 0,
    }));
    return {
      id: row.id, slug: row.slug, name: row.name, description: row.description,
      category: { slug: row.category_slug, name: row.category_name },
      price: money(region, localPrice(region, row.base_price_cents)),
      weightGrams: row.weight_grams,
      images: (this.imagesOf.all(row.id) as Array<{ url: string }>).map((i) => i.url),
      variants,
      inStock: variants.some((v) => v.inStock),
    };
  }
}
