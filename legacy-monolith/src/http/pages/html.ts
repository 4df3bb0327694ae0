import type { Response } from 'express';
import { formatMoney, REGION_CODES, type Region } from '../../domain/regions';
import { FAVICON_DATA_URI } from '../favicon';

/** A string already escaped for HTML; only `html` and `raw` make one. */
export class Html { constructor(readonly text: string) {} toString(): string { return this.text; } }

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** Tagged template that escapes every interpolation unless it is already Html. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

export const raw = (text: string): Html => new Html(text);
export const price = (region: Region, minor: number): string => formatMoney(region, minor);

const STYLE = `body{font-family:system-ui,sans-serif;margin:0;color:#222}header{background:#1f3a5f;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header a{color:#fff}main{padding:1rem;max-width:1100px;margin:auto}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:1rem}
.card{border:1px solid #ddd;border-radius:6px;padding:.8rem}.banner{background:#fff4d6;border:1px solid #e7c96b;padding:.8rem;margin-bottom:.6rem;border-radius:6px}
.error{background:#fde2e2;border:1px solid #e08a8a;padding:.6rem;border-radius:6px}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:.4rem;text-align:left}
label{display:block;margin:.3rem 0}input,select{padding:.3rem}button{padding:.4rem .8rem}.muted{color:#777}`;

export interface PageChrome { region: Region; cartCount: number; userName: string | null }

export function layout(title: string, chrome: PageChrome, body: Html): Html {
  const regions = REGION_CODES.map((code) => html`<option value="${code}"${raw(code === chrome.region.code ? ' selected' : '')}>${code.toUpperCase()}</option>`);
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · Northwind Goods</title><link rel="icon" type="image/svg+xml" href="${FAVICON_DATA_URI}"><style>${raw(STYLE)}</style></head><body>
<header><a href="/"><strong>Northwind Goods</strong></a><a href="/category/apparel">Shop</a><a href="/cart">Cart (${chrome.cartCount})</a>
${chrome.userName ? html`<span>Hello, ${chrome.userName}</span><form method="post" action="/logout" style="display:inline"><button>Log out</button></form>` : html`<a href="/login">Log in</a>`}
<form method="get" action="/region" style="margin-left:auto">Region <select name="code">${regions}</select> <button>Set</button></form></header>
<main>${body}</main></body></html>`;
}

/** The body of every storefront 404: what is missing, and the way back. */
export function notFoundBody(sentence: string): Html {
  return html`<h1>Not found</h1><p>${sentence}</p><p><a href="/">Back to the shop</a></p>`;
}

export function sendPage(res: Response, status: number, page: Html): void {
  res.status(status).type('html').send(page.text);
}
