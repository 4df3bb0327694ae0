import { setTimeout as sleep } from 'node:timers/promises';
import type { ShopDb } from '../db/open';
import { notFound } from './errors';
import type { RegionCode } from './regions';

export interface CmsPage { slug: string; title: string; bodyHtml: string; updatedAt: string }
export interface Banner { id: number; title: string; body: string; link: string }

/** The legacy CMS lookup is slow, as it is in production; CMS_LATENCY_MS sets how slow (default 120). */
export function cmsLatencyMs(): number {
  const raw = Number(process.env.CMS_LATENCY_MS ?? 120);
  return Number.isFinite(raw) && raw >= 0 ? raw : 120;
}

export class Cms {
  private readonly page;
  private readonly banners;

  constructor(db: ShopDb) {
    this.page = db.prepare('SELECT slug, title, body_html AS bodyHtml, updated_at AS updatedAt FROM cms_pages WHERE slug = ?');
    this.banners = db.prepare(`SELECT id, title, body, link FROM cms_banners WHERE region = ? AND starts_at <= ? AND ? < ends_at ORDER BY position`);
  }

  async getPage(slug: string): Promise<CmsPage> {
    await sleep(cmsLatencyMs());
    const row = this.page.get(slug) as CmsPage | undefined;
    if (!row) throw notFound(`Page ${slug}`, 'page');
    return row;
  }

  async getBanners(region: RegionCode, now: Date): Promise<Banner[]> {
    await sleep(cmsLatencyMs());
    const t = now.toISOString();
    return this.banners.all(region, t, t) as Banner[];
  }
}
