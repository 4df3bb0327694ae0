import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { UpstreamPools } from '../forward/pools';

test('the Pool loaded from undici\'s own file is the Pool undici exports (the deep path still exists)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the path pools.ts loads
  expect(require('undici/lib/dispatcher/pool')).toBe(Pool);
});

test('one pool per upstream origin, shared across rule reloads; counts its connections', async () => {
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pools = new UpstreamPools({ maxSockets: 4, idleTimeoutMs: 3000 });
  try {
    const pool = pools.get({ name: 'legacy', url });
    expect(pools.get({ name: 'other-name-same-origin', url })).toBe(pool);
    // dispatch, the one method the forwarder uses (`request` exists only once undici's index is loaded).
    const body = await new Promise<string>((resolve, reject) => {
      let text = '';
      pool.dispatch({ path: '/', method: 'GET' }, {
        onConnect: () => undefined, onHeaders: () => true, onData: (chunk: Buffer) => { text += chunk; return true; },
        onComplete: () => resolve(text), onError: reject,
      });
    });
    expect(body).toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 20)); // undici frees the connection just after the body ends
    expect(pools.socketCounts()[url]).toEqual({ busy: 0, idle: 1, queued: 0 });
  } finally {
    await pools.destroy();
    server.close();
  }
});
