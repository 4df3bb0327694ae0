import crypto from 'node:crypto';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { shelfPrice } from '../../domain/cart';
import { notFound, ShopError } from '../../domain/errors';
import { digitsOnly } from '../../domain/payments';
import type { Product } from '../../domain/catalog';
import { isRegionCode } from '../../domain/regions';
import type { Shop } from '../../domain/shop';
import { newSessionId } from '../../domain/users';
import { clearSid, ensureSid, setSid } from '../kit/respond';
import { idempotencyKeyOf, parseCartAdd, parseCartUpdate, parseCheckout, parseCoupon, parseIdParam, parseLogin, parseProductId, parseProductQuery, parseRegister } from '../kit/schemas';
import { setFlash, takeFlash } from './flash';
import { html, layout, notFoundBody, price, raw, sendPage, type Html, type PageChrome } from './html';
import { couponSentence, errorSentence, SORT_LABELS } from './messages';

/** Server-rendered storefront pages; every action is a plain form post, so no JavaScript is needed. */
export function storefront(shop: Shop): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '32kb' }));

  const chrome = (res: Response): PageChrome => {
    const { region, sid, now } = res.locals.ctx;
    const user = shop.users.userOfSession(sid);
    return { region, cartCount: shop.carts.price(region, sid, now).itemCount, userName: user ? user.name : null };
  };
  const page = (res: Response, status: number, title: string, body: Html): void => sendPage(res, status, layout(title, chrome(res), body));
  /** The shelf price: after the automatic promotions, with the list price struck through when they lower it. */
  const priceTag = (res: Response, p: Product): Html => {
    const { region, now } = res.locals.ctx;
    const shelf = shelfPrice(region, p, shop.catalog, now);
    return shelf.sale < shelf.list
      ? html`<del class="muted">${price(region, shelf.list)}</del> <strong class="sale">${price(region, shelf.sale)}</strong>`
      : html`<strong>${price(region, shelf.list)}</strong>`;
  };
  const productCard = (res: Response, p: Product): Html => html`<div class="card"><a href="/product/${p.id}"><img src="${p.images[0]}" alt="${p.name}" width="160" height="120"><br>${p.name}</a>
<div>${priceTag(res, p)}</div>${p.inStock ? '' : html`<div class="muted">Sold out</div>`}</div>`;

  router.get('/', async (_req, res) => {
    const { region, now } = res.locals.ctx;
    const banners = await shop.cms.getBanners(region.code, now);
    const categories = shop.catalog.listCategories();
    const featured = shop.catalog.listProducts(region, { sort: 'newest', page: 1, pageSize: 8 }).items;
    page(res, 200, 'Home', html`${banners.map((b) => html`<div class="banner"><strong>${b.title}</strong> ${b.body} <a href="${b.link}">Shop now</a></div>`)}
<h1>Welcome</h1><p>${categories.map((c, i) => html`${i > 0 ? ' · ' : ''}<a href="/category/${c.slug}">${c.name}</a>`)}</p>
<h2>New in</h2><div class="grid">${featured.map((p) => productCard(res, p))}</div>`);
  });

  router.get('/category/:slug', (req, res) => {
    const query = parseProductQuery({ ...req.query, category: req.params.slug });
    if (!shop.catalog.categoryExists(req.params.slug)) throw notFound(`Category ${req.params.slug}`, 'category');
    const { items, total } = shop.catalog.listProducts(res.locals.ctx.region, query);
    const pages = Math.max(1, Math.ceil(total / query.pageSize));
    const link = (n: number): Html => html`<a href="/category/${req.params.slug}?page=${n}&amp;sort=${query.sort}">${n === query.page ? raw(`<strong>${n}</strong>`) : n}</a> `;
    const heading = shop.catalog.listCategories().find((c) => c.slug === req.params.slug)?.name ?? req.params.slug;
    page(res, 200, heading, html`<h1>${heading}</h1>
<form method="get">Sort <select name="sort">${SORT_LABELS.map(([code, label]) => html`<option value="${code}"${raw(code === query.sort ? ' selected' : '')}>${label}</option>`)}</select> <button>Apply</button></form>
<p class="muted">${total} products</p><div class="grid">${items.map((p) => productCard(res, p))}</div>
<p>Pages: ${Array.from({ length: pages }, (_, i) => link(i + 1))}</p>`);
  });

  router.get('/product/:id', (req, res) => {
    const id = parseProductId(req.params.id);
    const p = shop.catalog.getProduct(res.locals.ctx.region, id);
    const options = p.variants.map((v) => html`<option value="${v.sku}"${raw(v.inStock ? '' : ' disabled')}>${[v.colour, v.size].filter(Boolean).join(' / ')}${v.inStock ? ` (${v.stock} left)` : ' (sold out)'}</option>`);
    page(res, 200, p.name, html`<h1>${p.name}</h1><img src="${p.images[0]}" alt="${p.name}" width="320" height="240">
<p>${p.description}</p><p>${priceTag(res, p)} <span class="muted">${p.price.taxIncluded ? 'incl. tax' : 'plus tax'}</span></p>
<form method="post" action="/cart/add"><label>Variant <select name="sku">${options}</select></label>
<label>Quantity <input name="quantity" type="number" min="1" max="99" value="1"></label><button${raw(p.inStock ? '' : ' disabled')}>Add to cart</button></form>`);
  });

  const cartPage = (res: Response, error: string | null): void => {
    const { region, sid, now } = res.locals.ctx;
    const cart = shop.carts.price(region, sid, now);
    const rows = cart.lines.map((l) => html`<tr><td>${l.name}<br><span class="muted">${l.sku}${l.promotions.length ? ` · ${l.promotions.join(', ')}` : ''}</span></td>
<td><form method="post" action="/cart/update"><input type="hidden" name="sku" value="${l.sku}"><input name="quantity" type="number" min="0" max="99" value="${l.quantity}"> <button>Update</button></form></td>
<td>${price(region, l.total)}</td><td><form method="post" action="/cart/remove"><input type="hidden" name="sku" value="${l.sku}"><button>Remove</button></form></td></tr>`);
    page(res, 200, 'Cart', html`<h1>Your cart</h1>${error ? html`<p class="error">${error}</p>` : ''}
${cart.lines.length === 0 ? html`<p>Your cart is empty. <a href="/category/apparel">Start shopping</a>.</p>` : html`<table><tr><th>Item</th><th>Qty</th><th>Total</th><th></th></tr>${rows}</table>
<p>Subtotal ${price(region, cart.subtotal)} · Discounts −${price(region, cart.discount)} · <strong>${price(region, cart.total)}</strong></p>
${cart.coupon ? html`<p>${couponSentence(cart.coupon.code, cart.coupon.status)}</p>` : ''}
<form method="post" action="/cart/coupon"><label>Coupon <input name="code"></label><button>Apply</button></form>
<p><a href="/checkout">Checkout →</a></p>`}`);
  };
  router.get('/cart', (req, res) => cartPage(res, takeFlash(req, res)));
  /** Every cart form answers 303 to /cart, on success or failure (post/redirect/get: a reload never re-posts). */
  const cartAction = (action: (req: Request, res: Response, sid: string) => void) => (req: Request, res: Response): void => {
    try {
      const sid = ensureSid(res);
      shop.users.ensureSession(sid, res.locals.ctx.now);
      action(req, res, sid);
      res.redirect(303, '/cart');
    } catch (error) {
      if (!(error instanceof ShopError)) throw error;
      setFlash(res, errorSentence(error));
      res.redirect(303, '/cart');
    }
  };
  router.post('/cart/add', cartAction((req, res, sid) => { const b = parseCartAdd(req.body); shop.carts.add(sid, b.sku, b.quantity, res.locals.ctx.now); }));
  router.post('/cart/update', cartAction((req, _res, sid) => { shop.carts.update(sid, String(req.body.sku ?? ''), parseCartUpdate({ quantity: req.body.quantity }).quantity); }));
  router.post('/cart/remove', cartAction((req, _res, sid) => { shop.carts.remove(sid, String(req.body.sku ?? '')); }));
  router.post('/cart/coupon', cartAction((req, _res, sid) => { shop.carts.setCoupon(sid, parseCoupon(req.body).code); }));

  const checkoutPage = (res: Response, status: number, error: string | null, form: Record<string, string>): void => {
    const ctx = res.locals.ctx;
    const q = shop.checkout.quoteFor({ ...ctx, userId: null });
    if (q.lines.length === 0) { res.redirect(303, '/cart'); return; }
    const field = (name: string, label: string, value = ''): Html => html`<label>${label} <input name="${name}" value="${form[name] ?? value}"></label>`;
    // PCI DSS 3.3/3.4: a card number and CVC never go back to the browser, not even to the shopper
    // who typed them; a failed form asks for them again and names only the last four digits.
    const submittedCard = digitsOnly(String(form.cardNumber ?? ''));
    const again = error !== null;
    const cardFields = html`${again && submittedCard.length >= 4 ? html`<p class="muted">Please enter your card again (the card ending ${submittedCard.slice(-4)} was not charged).</p>` : ''}
<label>Card number <input name="cardNumber" autocomplete="cc-number" inputmode="numeric" value="${again ? '' : '4242 4242 4242 4242'}"></label>${field('expMonth', 'Expiry month', '12')}${field('expYear', 'Expiry year', String(ctx.now.getUTCFullYear() + 2))}<label>CVC <input name="cvc" autocomplete="cc-csc" inputmode="numeric" value="${again ? '' : '123'}"></label>`;
    page(res, status, 'Checkout', html`<h1>Checkout</h1>${error ? html`<p class="error">${error}</p>` : ''}
<table>${q.lines.map((l) => html`<tr><td>${l.quantity} × ${l.name}</td><td>${price(ctx.region, l.total)}</td></tr>`)}</table>
<p>Merchandise ${price(ctx.region, q.subtotal - q.discount)} · Shipping ${price(ctx.region, q.shipping)} · Tax ${price(ctx.region, q.tax)}${q.taxIncluded ? ' (included)' : ''} · <strong>Total ${price(ctx.region, q.total)}</strong></p>
<form method="post" action="/checkout"><input type="hidden" name="idempotencyKey" value="${form.idempotencyKey ?? crypto.randomUUID()}">
${field('email', 'E-mail')}${field('name', 'Name')}${field('line1', 'Address')}${field('city', 'City')}${field('postalCode', 'Postal code')}${field('country', 'Country (2 letters)', 'US')}
${cardFields}
<button>Place order</button></form><p class="muted">Test cards: 4242 4242 4242 4242 approves, 4000 0000 0000 0002 declines.</p>`);
  };
  router.get('/checkout', (_req, res) => checkoutPage(res, 200, null, {}));
  router.post('/checkout', async (req, res) => {
    const form = req.body as Record<string, string>;
    const ctx = res.locals.ctx;
    try {
      const body = parseCheckout({
        email: form.email, shipTo: { name: form.name, line1: form.line1, city: form.city, postalCode: form.postalCode, country: String(form.country ?? '').toUpperCase() },
        card: { number: form.cardNumber, expMonth: form.expMonth, expYear: form.expYear, cvc: form.cvc },
      }, ctx.now);
      const user = shop.users.userOfSession(ctx.sid);
      const outcome = await shop.checkout.placeOrder({ ...ctx, userId: user ? user.id : null }, body, idempotencyKeyOf(form.idempotencyKey || undefined));
      res.redirect(303, `/orders/${outcome.order.id}`);
    } catch (error) {
      if (!(error instanceof ShopError)) throw error;
      checkoutPage(res, error.status, errorSentence(error), form);
    }
  });

  router.get('/orders/:id', (req, res) => {
    const { id } = parseIdParam(req.params);
    const region = res.locals.ctx.region;
    const order = shop.checkout.getOrder(id, res.locals.ctx.sid);
    page(res, 200, `Order ${order.id}`, html`<h1>Thank you! Order #${order.id} is confirmed.</h1>
<table>${order.lines.map((l) => html`<tr><td>${l.quantity} × ${l.name}</td><td>${price(region, l.total)}</td></tr>`)}</table>
<p>Shipping ${price(region, order.shipping)} · Tax ${price(region, order.tax)} · <strong>Total ${price(region, order.total)}</strong></p>
<p>Paid with ${order.payment.brand} ending ${order.payment.last4}. A confirmation goes to ${order.email}.</p>`);
  });

  const loginPage = (res: Response, status: number, error: string | null, mode: 'login' | 'register'): void => {
    page(res, status, mode === 'login' ? 'Log in' : 'Register', html`<h1>${mode === 'login' ? 'Log in' : 'Create an account'}</h1>${error ? html`<p class="error">${error}</p>` : ''}
<form method="post" action="/${mode}">${mode === 'register' ? html`<label>Name <input name="name"></label>` : ''}<label>E-mail <input name="email"></label>
<label>Password <input name="password" type="password"></label><button>${mode === 'login' ? 'Log in' : 'Register'}</button></form>
${mode === 'login' ? html`<p>New here? <a href="/register">Create an account</a></p>` : ''}`);
  };
  router.get('/login', (_req, res) => loginPage(res, 200, null, 'login'));
  router.get('/register', (_req, res) => loginPage(res, 200, null, 'register'));
  const accountAction = (mode: 'login' | 'register') => async (req: Request, res: Response): Promise<void> => {
    const ctx = res.locals.ctx;
    try {
      const user = mode === 'login'
        ? await shop.users.authenticate(...(Object.values(parseLogin(req.body)) as [string, string]))
        : await (async () => { const b = parseRegister(req.body); return shop.users.register(b.email, b.name, b.password, ctx.now); })();
      const sid = newSessionId();
      shop.users.startSession(ctx.sid, sid, user.id, ctx.now);
      setSid(res, sid);
      res.redirect(303, '/');
    } catch (error) {
      if (!(error instanceof ShopError)) throw error;
      loginPage(res, error.status, errorSentence(error), mode);
    }
  };
  router.post('/login', accountAction('login'));
  router.post('/register', accountAction('register'));
  router.post('/logout', (_req, res) => {
    shop.users.endSession(res.locals.ctx.sid);
    clearSid(res);
    res.redirect(303, '/');
  });

  router.get('/region', (req, res) => {
    const code = String(req.query.code ?? '');
    if (isRegionCode(code)) res.cookie('region', code, { path: '/', sameSite: 'lax', maxAge: 365 * 24 * 3600 * 1000 });
    res.redirect(303, '/');
  });

  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!(error instanceof ShopError) || res.headersSent) { next(error); return; }
    if (error.status === 404) { page(res, 404, 'Not found', notFoundBody(errorSentence(error))); return; }
    page(res, error.status, 'Sorry', html`<h1>Something is wrong</h1><p>${errorSentence(error)}</p>`);
  });
  return router;
}
