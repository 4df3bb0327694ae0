import pino from 'pino';
import { accessLogger } from '../observability/access-log';
import { LineBatch } from '../observability/line-batch';
import { createLogger } from '../observability/logger';

function capture(level: string): { lines: string[]; log: pino.Logger } {
  const lines: string[] = [];
  const log = createLogger(level, { write: (line: string) => { lines.push(line); } });
  return { lines, log };
}

const entry = { reqId: 'r-1', method: 'GET', path: '/api/products/7?sort=price', route: 'product-detail', side: 'extracted', backend: 'legacy-fallback', bucket: 34, reason: 'percent', status: 200, ms: 1.3, epoch: 2, code: null };

test('the access line has the shape of every other pino line: level, time, pid, name, fields, msg', () => {
  const { lines, log } = capture('info');
  log.info({ a: 1 }, 'other');
  accessLogger(log)(entry);
  const [other, access] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(Object.keys(access).slice(0, 4)).toEqual(Object.keys(other).slice(0, 4));
  const { code: _code, ...fields } = entry;
  expect(access).toMatchObject({ level: 30, pid: process.pid, name: 'strangler', ...fields, msg: 'request' });
  expect(access).not.toHaveProperty('code');
  expect(Math.abs((access.time as number) - Date.now())).toBeLessThan(5000);
});

test('a hostile request id (quotes, newlines, a fake field) stays one line of valid JSON', () => {
  const { lines, log } = capture('info');
  const reqId = 'x","level":60,"msg":"fake\n{"injected":true}';
  accessLogger(log)({ ...entry, reqId, bucket: null, code: 'STRANGLER_ERR_UPSTREAM_TIMEOUT' });
  expect(lines).toHaveLength(1);
  expect(lines[0].trimEnd().split('\n')).toHaveLength(1);
  expect(JSON.parse(lines[0])).toMatchObject({ level: 30, reqId, bucket: null, code: 'STRANGLER_ERR_UPSTREAM_TIMEOUT', msg: 'request' });
});

test('the path is logged with secret-named query parameters, e-mail addresses and card numbers masked', () => {
  const { lines, log } = capture('info');
  accessLogger(log)({ ...entry, path: '/api/orders?token=SECRET-1&email=ada%40example.com&page=2' });
  accessLogger(log)({ ...entry, path: '/api/users/ada@example.com/cards/4242424242424242' });
  accessLogger(log)({ ...entry, path: '/api/products/17' });
  const paths = lines.map((l) => (JSON.parse(l) as { path: string }).path);
  expect(paths[0]).toMatch(/^\/api\/orders\?token=\[redacted\]&email=\[redacted\]&page=2$/);
  expect(paths[1]).not.toContain('ada@example.com');
  expect(paths[1]).not.toContain('4242424242424242');
  expect(paths[2]).toBe('/api/products/17');
});

test('nothing is written when the level is above info', () => {
  const { lines, log } = capture('warn');
  accessLogger(log)(entry);
  expect(lines).toEqual([]);
});

test('log lines are batched in order: nothing written below the batch size, everything on flush', () => {
  const writes: string[] = [];
  const batch = new LineBatch({ write: (data: string) => { writes.push(data); } }, 1000);
  const log = pino({ level: 'info' }, batch);
  log.info('one');
  accessLogger(log)(entry);
  expect(writes).toEqual([]);
  log.warn('x'.repeat(1000)); // takes the batch past its size: all three lines go out in one write
  expect(writes.length).toBe(1);
  log.info('three');
  expect(writes.length).toBe(1);
  log.flush();
  const messages = writes.join('').trimEnd().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg);
  expect(messages).toEqual(['one', 'request', 'x'.repeat(1000), 'three']);
  log.flush();
  expect(writes.length).toBe(2); // an empty batch writes nothing
});
