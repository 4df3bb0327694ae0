import request from 'supertest';
import { TEST_CARDS } from '../src/domain/payments';
import { CHECKOUT_BODY, cookieOf, seededShop, skuInStock } from './shop-fixture';

const fixture = seededShop();
const { app, db } = fixture;
afterAll(() => fixture.close());

describe('catalog', () => {
  test('at least 500 products in at least 8 categories, with variants and image URLs', async () => {
    const categories = (await request(app).get('/api/categories').expect(200)).body.categories;
    expect(categories.length).toBeGreaterThanOrEqual(8);
    const all = (await request(app).get('/api/products?pageSize=1').expect(200)).body;
    expect(all.total).toBeGreaterThanOrEqual(500);
    const product = (await request(app).get('/api/products/1').expect(200)).body.product;
    expect(product.variants.length).toBeGreaterThan(0);
    expect(product.images).toEqual(['/images/products/1/0.svg', '/images/products/1/1.svg']);
    expect(product.slug).toMatch(/^[a-z-]+-1$/); // the id once, not the name's number as well
  });
  test('search, filters, sorting and pagination', async () => {
    const page1 = (await request(app).get('/api/products?category=apparel&sort=price_asc&pageSize=10&page=1').expect(200)).body;
    const page2 = (await request(app).get('/api/products?category=apparel&sort=price_asc&pageSize=10&page=2').expect(200)).body;
    expect(page1.items).toHaveLength(10);
    expect(page1.totalPages).toBe(Math.ceil(page1.total / 10));
    const prices = [...page1.items, ...page2.items].map((p: { price: { amount: number } }) => p.price.amount);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    expect(page1.items.every((p: { category: { slug: string } }) => p.category.slug === 'apparel')).toBe(true);
    const bounded = (await request(app).get('/api/products?minPrice=2000&maxPrice=3000&pageSize=100').expect(200)).body;
    expect(bounded.items.every((p: { price: { amount: number } }) => p.price.amount >= 2000 && p.price.amount <= 3000)).toBe(true);
    const search = (await request(app).get('/api/products?q=hoodie').expect(200)).body;
    expect(search.items.length).toBeGreaterThan(0);
    expect(search.items.every((p: { name: string }) => /hoodie/i.test(p.name))).toBe(true);
  });
  test('region by header or cookie changes currency and price', async () => {
    const us = (await request(app).get('/api/products/1').expect(200)).body.product.price;
    const eu = (await request(app).get('/api/products/1').set('x-region', 'eu').expect(200)).body.product.price;
    const apac = (await request(app).get('/api/products/1').set('cookie', 'region=apac').expect(200)).body.product.price;
    expect([us.currency, eu.currency, apac.currency]).toEqual(['USD', 'EUR', 'JPY']);
    expect(apac.exponent).toBe(0);
    expect(eu.taxIncluded).toBe(true);
  });
  test('bad input: 400 with the offending field paths; unknown ids and ids that are no number 404', async () => {
    const bad = (await request(app).get('/api/products?page=0&pageSize=500&sort=cheap&colour=1').expect(400)).body;
    expect(bad.error.fields.map((f: { path: string }) => f.path).sort()).toEqual(['query.colour', 'query.page', 'query.pageSize', 'query.sort']);
    for (const id of ['abc', '0', '1.5', '99999999999', '999999']) {
      for (const path of [`/api/products/${id}`, `/api/pricing/products/${id}`]) {
        expect({ path, ...(await request(app).get(path)).body.error }).toEqual({ path, code: 'not_found', message: `Product ${id} not found`, fields: [] });
      }
    }
    expect((await request(app).get('/api/products/1').set('x-region', 'mars').expect(400)).body.error.fields[0].path).toBe('headers.x-region');
  });
  test('JSON bodies carry generatedAt and a request id (propagated when sent)', async () => {
    const body = (await request(app).get('/api/categories').set('x-request-id', 'abc-123').expect(200)).body;
    expect(body.requestId).toBe('abc-123');
    expect(Date.parse(body.generatedAt)).not.toBeNaN();
  });
});

describe('cart and checkout', () => {
  test('a shopper adds to cart, applies a coupon, gets a quote and places an order', async () => {
    const agent = request.agent(app);
    const sku = skuInStock(db, 'home');
    const added = await agent.post('/api/cart/items').send({ sku, quantity: 2 }).expect(201);
    expect(cookieOf(added.headers['set-cookie'], 'sid')).toMatch(/^sid=/);
    expect(added.headers['set-cookie'][0]).toMatch(/HttpOnly/);
    const withCoupon = (await agent.post('/api/cart/coupon').send({ code: 'welcome10' }).expect(200)).body.cart;
    expect(withCoupon.coupon).toEqual({ code: 'WELCOME10', status: 'applied' });
    const quote = (await agent.post('/api/checkout/quote').expect(200)).body.quote;
    expect(quote.total).toBe(quote.subtotal - quote.discount + quote.shipping + quote.tax);
    const before = (db.prepare('SELECT stock FROM variants WHERE sku = ?').get(sku) as { stock: number }).stock;
    const placed = await agent.post('/api/checkout').set('idempotency-key', 'order-1').send(CHECKOUT_BODY).expect(201);
    expect(placed.body.order.total).toBe(quote.total);
    expect(placed.body.order.payment.last4).toBe('4242');
    expect((db.prepare('SELECT stock FROM variants WHERE sku = ?').get(sku) as { stock: number }).stock).toBe(before - 2);
    expect((await agent.get('/api/cart').expect(200)).body.cart.lines).toHaveLength(0);
    await agent.get(`/api/orders/${placed.body.order.id}`).expect(200);
    await request(app).get(`/api/orders/${placed.body.order.id}`).expect(404); // another shopper sees nothing
  });
  test('Idempotency-Key: same key and body returns the same order; other body gets 422', async () => {
    const agent = request.agent(app);
    await agent.post('/api/cart/items').send({ sku: skuInStock(db, 'books'), quantity: 1 }).expect(201);
    const first = await agent.post('/api/checkout').set('idempotency-key', 'key-A').send(CHECKOUT_BODY).expect(201);
    const again = await agent.post('/api/checkout').set('idempotency-key', 'key-A').send(CHECKOUT_BODY).expect(201);
    expect(again.body.order.id).toBe(first.body.order.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await agent.post('/api/checkout').set('idempotency-key', 'key-A').send({ ...CHECKOUT_BODY, email: 'other@example.com' }).expect(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    expect((db.prepare('SELECT COUNT(*) AS n FROM orders WHERE id = ?').get(first.body.order.id) as { n: number }).n).toBe(1);
  });
  test('declined cards get 402, bad cards 400 with field paths, and only the last four digits are stored', async () => {
    const agent = request.agent(app);
    await agent.post('/api/cart/items').send({ sku: skuInStock(db, 'toys'), quantity: 1 }).expect(201);
    const declined = await agent.post('/api/checkout').send({ ...CHECKOUT_BODY, card: { ...CHECKOUT_BODY.card, number: TEST_CARDS.declined } }).expect(402);
    expect(declined.body.error.reason).toBe('card_declined');
    const invalid = await agent.post('/api/checkout').send({ ...CHECKOUT_BODY, card: { ...CHECKOUT_BODY.card, number: '4242424242424241', expYear: 2001 } }).expect(400);
    expect(invalid.body.error.fields.map((f: { path: string }) => f.path).sort()).toEqual(['card.expYear', 'card.number']);
    const missing = await agent.post('/api/checkout').send({ email: 'nope' }).expect(400);
    expect(missing.body.error.fields.map((f: { path: string }) => f.path).sort()).toEqual(['card', 'email', 'shipTo']);
    await agent.post('/api/checkout').send(CHECKOUT_BODY).expect(201);
    const dump = JSON.stringify(db.prepare('SELECT * FROM orders').all()) + JSON.stringify(db.prepare('SELECT * FROM payment_authorisations').all());
    expect(dump).not.toContain('4242424242424242');
    expect(dump).not.toContain('4242 4242 4242 4242');
  });
  test('adding more than is in stock is 409; an empty cart cannot check out', async () => {
    const agent = request.agent(app);
    const row = db.prepare('SELECT sku, stock FROM variants WHERE stock BETWEEN 1 AND 5 LIMIT 1').get() as { sku: string; stock: number };
    const conflict = await agent.post('/api/cart/items').send({ sku: row.sku, quantity: row.stock + 1 }).expect(409);
    expect(conflict.body.error).toMatchObject({ code: 'out_of_stock', sku: row.sku, available: row.stock });
    const empty = await request(app).post('/api/checkout').send(CHECKOUT_BODY).expect(400);
    expect(empty.body.error.fields[0].path).toBe('cart');
  });
  test('legacy ignores x-strangler-shadow: it cannot dry-run, so the order is real', async () => {
    const agent = request.agent(app);
    await agent.post('/api/cart/items').send({ sku: skuInStock(db, 'beauty'), quantity: 1 }).expect(201);
    const placed = await agent.post('/api/checkout').set('x-strangler-shadow', '1').send(CHECKOUT_BODY).expect(201);
    expect(db.prepare('SELECT id FROM orders WHERE id = ?').get(placed.body.order.id)).toBeDefined();
  });
});

describe('users and CMS', () => {
  test('register, log out, log in (session id rotates, cart kept), wrong password 401', async () => {
    const agent = request.agent(app);
    await agent.post('/api/cart/items').send({ sku: skuInStock(db, 'sports'), quantity: 1 }).expect(201);
    const registered = await agent.post('/api/users').send({ email: 'Grace@Example.com', name: 'Grace', password: 'correct horse' }).expect(201);
    expect(registered.body.user.email).toBe('grace@example.com');
    expect((await agent.get('/api/me').expect(200)).body.user.name).toBe('Grace');
    expect((await agent.get('/api/cart').expect(200)).body.cart.lines).toHaveLength(1);
    await agent.delete('/api/session').expect(200);
    expect((await agent.get('/api/me').expect(200)).body.user).toBeNull();
    await agent.post('/api/session').send({ email: 'grace@example.com', password: 'wrong password' }).expect(401);
    const login = await agent.post('/api/session').send({ email: 'grace@example.com', password: 'correct horse' }).expect(200);
    expect(cookieOf(login.headers['set-cookie'], 'sid')).toMatch(/^sid=/);
    await request(app).post('/api/users').send({ email: 'grace@example.com', name: 'G', password: 'another one' }).expect(409);
    const stored = db.prepare('SELECT password_hash FROM users WHERE email = ?').get('grace@example.com') as { password_hash: string };
    expect(stored.password_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
  });
  test('CMS pages and banners by region', async () => {
    expect((await request(app).get('/api/cms/pages/about').expect(200)).body.page.title).toBe('About us');
    await request(app).get('/api/cms/pages/nope').expect(404);
    const banners = (await request(app).get('/api/cms/banners').set('x-region', 'apac').expect(200)).body.banners;
    expect(banners[0].title).toMatch(/Books/);
  });
});

describe('storefront pages work without JavaScript', () => {
  test('browse, add to cart by form, check out by form, see the confirmation', async () => {
    const agent = request.agent(app);
    const home = await agent.get('/').expect(200);
    expect(home.text).toContain('class="banner"');
    expect(home.text).not.toContain('<script');
    const category = await agent.get('/category/home').expect(200);
    const productId = /href="\/product\/(\d+)"/.exec(category.text)![1];
    const product = await agent.get(`/product/${productId}`).expect(200);
    const sku = /<select name="sku"><option value="([^"]+)">/.exec(product.text)?.[1] ?? /<option value="(P\d+-[^"]+)">/.exec(product.text)![1];
    await agent.post('/cart/add').type('form').send({ sku, quantity: '1' }).expect(303).expect('location', '/cart');
    const cart = await agent.get('/cart').expect(200);
    expect(cart.text).toContain(sku);
    const checkout = await agent.get('/checkout').expect(200);
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(checkout.text)![1];
    const form = { idempotencyKey: key, email: 'shopper@example.com', name: 'Sam', line1: '2 Main St', city: 'Town', postalCode: '99999', country: 'us', cardNumber: '4242 4242 4242 4242', expMonth: '12', expYear: String(new Date().getUTCFullYear() + 1), cvc: '123' };
    const placed = await agent.post('/checkout').type('form').send(form).expect(303);
    const confirmation = await agent.get(placed.headers.location).expect(200);
    expect(confirmation.text).toMatch(/Order #\d+ is confirmed/);
    expect(confirmation.text).toContain('ending 4242');
    // A double-submitted form (same hidden key) is the same order, not a second one.
    const again = await agent.post('/checkout').type('form').send(form).expect(303);
    expect(again.headers.location).toBe(placed.headers.location);
  });
  test('a failed checkout form never sends the card number or CVC back, only the last four digits', async () => {
    const agent = request.agent(app);
    const product = await agent.get('/product/1').expect(200);
    const sku = /<option value="(P\d+-[^"]+)">/.exec(product.text)![1];
    await agent.post('/cart/add').type('form').send({ sku, quantity: '1' }).expect(303);
    const key = /name="idempotencyKey" value="([^"]+)"/.exec((await agent.get('/checkout').expect(200)).text)![1];
    const base = { idempotencyKey: key, email: 'shopper@example.com', name: 'Sam', line1: '2 Main St', city: 'Town', postalCode: '99999', country: 'us', expMonth: '12', expYear: String(new Date().getUTCFullYear() + 1) };
    const attempts = [
      { cardNumber: '4000 0000 0000 0002', cvc: '987', status: 402 },                 // declined
      { cardNumber: '4000-0000-0000-0002', cvc: '987', name: '', status: 400 },        // invalid form, dashed card
      { cardNumber: '4242424242424241', cvc: '9876', status: 400 },                    // fails Luhn
    ];
    for (const { status, ...fields } of attempts) {
      const page = await agent.post('/checkout').type('form').send({ ...base, ...fields }).expect(status);
      const digits = fields.cardNumber.replace(/\D/g, '');
      // The page's own hint lists the shop's public test cards; everything the shopper sent back is in the form.
      const form = /<form method="post" action="\/checkout">[\s\S]*?<\/form>/.exec(page.text)![0];
      expect(form).not.toContain(fields.cardNumber);
      expect(form.replace(/[\s-]/g, '')).not.toContain(digits.slice(0, 12));
      expect(form).not.toContain(`"${fields.cvc}"`);
      expect(form).toMatch(/<input name="cardNumber"[^>]*value=""/);
      expect(form).toMatch(/<input name="cvc"[^>]*value=""/);
      expect(form).toContain(`ending ${digits.slice(-4)}`);
      expect(form).toContain('value="shopper@example.com"'); // the rest of the form is kept
    }
  });
  test('pictures come from the shop itself, with the product name as their alt text', async () => {
    const product = (await request(app).get('/api/products/1').expect(200)).body.product as { name: string; images: string[] };
    const image = await request(app).get(product.images[0]).expect(200);
    expect(image.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(image.headers['cache-control']).toBe('public, max-age=86400');
    expect(String(image.body)).toContain(`aria-label="${product.name}"`);
    await request(app).get(product.images[0]).set('if-none-match', image.headers.etag).expect(304);
    const page = await request(app).get('/product/1').expect(200);
    expect(page.text).toContain(`<img src="${product.images[0]}" alt="${product.name}"`);
    expect(page.text).not.toMatch(/alt=""/);
  });
  test('pages speak to shoppers: category names, sort labels, coupon sentences; no stray separator', async () => {
    const home = await request(app).get('/').expect(200);
    expect(home.text).not.toMatch(/ · <\/p>/);
    const category = await request(app).get('/category/apparel').expect(200);
    expect(category.text).toContain('<h1>Apparel</h1>');
    expect(category.text).toContain('<option value="price_asc">Price: low to high</option>');
    const agent = request.agent(app);
    const product = await agent.get('/product/1').expect(200);
    const sku = /<option value="(P\d+-[^"]+)">/.exec(product.text)![1];
    await agent.post('/cart/add').type('form').send({ sku, quantity: '1' }).expect(303);
    await agent.post('/cart/coupon').type('form').send({ code: 'SAVE15' }).expect(303);
    const cart = await agent.get('/cart').expect(200);
    expect(cart.text).not.toContain('min_subtotal_not_met');
    expect(cart.text).toMatch(/Coupon SAVE15 (is applied|needs a larger order before it applies)\./);
    const bad = await agent.post('/checkout').type('form').send({ email: 'x', cardNumber: '1' }).expect(400);
    expect(bad.text).not.toMatch(/must NOT|shipTo\.|card\.number/);
    expect(bad.text).toMatch(/Please check your [A-Za-z ,-]+\./);
  });
  test('a mistyped coupon keeps the one that works and says the new one is unknown', async () => {
    const agent = request.agent(app);
    const sku = skuInStock(db, 'home');
    await agent.post('/api/cart/items').send({ sku, quantity: 1 }).expect(201);
    await agent.post('/api/cart/coupon').send({ code: 'WELCOME10' }).expect(200);
    const typo = await agent.post('/api/cart/coupon').send({ code: 'WELCOM10' }).expect(422);
    expect(typo.body.error).toMatchObject({ code: 'unknown_coupon' });
    expect((await agent.get('/api/cart').expect(200)).body.cart.coupon).toMatchObject({ code: 'WELCOME10' });
    // The form answers with a redirect (post/redirect/get), so a reload never re-posts it; the
    // cart page shows the sentence once.
    const posted = await agent.post('/cart/coupon').type('form').send({ code: 'welcom10' }).expect(303).expect('location', '/cart');
    expect(posted.text).not.toContain('WELCOM10');
    expect(String(posted.headers['set-cookie'])).toMatch(/^flash=[^;]+; Max-Age=60; Path=\/cart; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
    const notice = "We don't know the coupon WELCOM10. Your coupon WELCOME10 still applies.";
    const page = await agent.get('/cart').expect(200).expect('cache-control', 'no-store');
    expect(page.text.replace(/&#39;/g, "'")).toContain(`<p class="error">${notice}</p>`);
    const reload = await agent.get('/cart').expect(200);
    expect(reload.text).not.toContain('class="error"');
    expect(reload.text).toContain('Coupon WELCOME10 is applied.');
  });
  test('every failed cart form redirects to the cart, which says why once', async () => {
    const agent = request.agent(app);
    await agent.post('/cart/add').type('form').send({ sku: 'NOPE-1', quantity: '1' }).expect(303).expect('location', '/cart');
    expect((await agent.get('/cart').expect(200)).text).toContain('<p class="error">We could not find that item.</p>');
    await agent.post('/cart/coupon').type('form').send({ code: 'no spaces!' }).expect(303).expect('location', '/cart');
    expect((await agent.get('/cart').expect(200)).text).toContain('<p class="error">Please check your coupon code.</p>');
    expect((await agent.get('/cart').expect(200)).text).not.toContain('class="error"');
  });
  test('pages show the price after automatic promotions, the list price struck through, as the pricing API prices it', async () => {
    const category = await request(app).get('/category/apparel').expect(200);
    const id = /href="\/product\/(\d+)"/.exec(category.text)![1];
    const priced = (await request(app).get(`/api/pricing/products/${id}`).expect(200)).body as { listPrice: { amount: number }; salePrice: { amount: number } };
    expect(priced.salePrice.amount).toBeLessThan(priced.listPrice.amount); // the banner's 20 % off apparel
    const shown = (cents: number): string => `${(cents / 100).toFixed(2)} USD`;
    for (const page of [category.text, (await request(app).get(`/product/${id}`).expect(200)).text]) {
      expect(page).toContain(`<del class="muted">${shown(priced.listPrice.amount)}</del> <strong class="sale">${shown(priced.salePrice.amount)}</strong>`);
    }
    const home = await request(app).get('/category/home').expect(200); // no automatic promotion there
    expect(home.text).not.toContain('<del');
  });
  test('a product that is not there, or an id that is no number, is a 404 page with the way back to the shop', async () => {
    for (const path of ['/product/abc', '/product/999999', '/product/0']) {
      const page = await request(app).get(path).expect(404).expect('content-type', /html/);
      expect({ path, text: page.text.includes('<p>We could not find that product.</p><p><a href="/">Back to the shop</a></p>') }).toEqual({ path, text: true });
      expect(page.text).not.toMatch(/Something is wrong|check your details/);
    }
    expect((await request(app).get('/category/nope').expect(404)).text).toContain('We could not find that category.');
    expect((await request(app).get('/images/products/abc/0.svg').expect(404)).body.error.code).toBe('not_found');
  });
  test('an icon: inline in every page, and /favicon.ico a cached 204 rather than a 404', async () => {
    for (const path of ['/', '/cart', '/product/abc']) {
      const href = /<link rel="icon" type="image\/svg\+xml" href="data:image\/svg\+xml,([^"]+)">/.exec((await request(app).get(path)).text)?.[1];
      expect(decodeURIComponent(href ?? '')).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^]*<\/svg>$/);
    }
    const ico = await request(app).get('/favicon.ico').expect(204);
    expect(ico.headers['cache-control']).toBe('public, max-age=604800');
  });
  test('log-in page and an unknown page give HTML', async () => {
    expect((await request(app).get('/login').expect(200)).text).toContain('<form method="post" action="/login">');
    expect((await request(app).get('/nowhere').expect(404)).headers['content-type']).toMatch(/html/);
    expect((await request(app).get('/api/nowhere').expect(404)).body.error.code).toBe('not_found');
  });
});
