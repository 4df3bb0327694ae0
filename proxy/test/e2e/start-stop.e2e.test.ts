/**
 * The proxy's own start and stop: a taken port ends the start before anything else is started,
 * and while it drains (SIGTERM) each response says `Connection: close`, so keep-alive shoppers
 * reconnect elsewhere instead of sending more requests down a closing connection.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { parseJson, runCli, tempDir } from '../../../scripts/testing/processes';
import { startTestProxy, startUpstream, type TestUpstream } from '../../../scripts/testing/upstreams';
import { until } from '../../../scripts/testing/wait';

let legacy: TestUpstream;
let svc: TestUpstream;

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
});
afterAll(async () => {
  await legacy.close();
  await svc.close();
});

const rules = (): string => `version: 1
upstreams: { legacy: ${legacy.url}, svc: ${svc.url} }
routes:
  - name: items
    match: { methods: [GET], path: /api/items/:id }
    extracted: svc
    percent: 100
    shadow: { percent: 100 }
`;

interface Answer { status: number; headers: http.IncomingHttpHeaders; socket: net.Socket }

function get(port: number, agent: http.Agent, id: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: `/api/items/${id}`, agent, headers: { 'x-user-id': 'drainer' } }, (res) => {
      const socket = res.socket;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, socket }));
    }).on('error', reject);
  });
}

/** True once a new connection to the port is refused: the proxy has closed its listener. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('error', (error: Error & { code?: string }) => resolve(error.code === 'ECONNREFUSED'));
  });
}

for (const workers of ['1', '2']) {
  test(`STRANGLER_WORKERS=${workers}: a response in flight when the drain begins carries Connection: close (and keeps both its cookies)`, async () => {
    const proxy = await startTestProxy(rules(), { STRANGLER_WORKERS: workers });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let release: () => void = () => undefined;
    try {
      // Before the drain, the connection is kept alive.
      const first = await get(proxy.port, agent, 'a');
      expect(first.status).toBe(200);
      expect(first.headers.connection).toBe('keep-alive');

      svc.seen.length = 0;
      svc.handle((req, res) => {
        if (req.url !== '/api/items/held') { res.writeHead(200); res.end('{}'); return; }
        release = () => { res.writeHead(200, [['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['content-type', 'application/json']].flat()); res.end('{}'); };
      });
      const held = get(proxy.port, agent, 'held');
      await until('the request at the upstream', () => svc.seen.some((r) => r.url === '/api/items/held'));
      const exit = proxy.stop();
      await until('the proxy to stop listening', () => refused(proxy.port));
      release();
      const answer = await held;
      expect(answer.status).toBe(200);
      expect(answer.headers.connection).toBe('close');
      expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2']);
      expect(await exit).toBe(0);
    } finally {
      svc.handle(null);
      agent.destroy();
      await proxy.stop();
    }
  }, 30_000);

  test(`STRANGLER_WORKERS=${workers}: a taken port ends the start with the error, and no shadow worker is started`, async () => {
    const taken = await startUpstream('squatter');
    try {
      const dir = tempDir('taken');
      const rulesFile = path.join(dir, 'routing-rules.yaml');
      fs.writeFileSync(rulesFile, rules());
      const proxy = await runCli(['proxy'], { env: { PROXY_PORT: String(taken.port), ADMIN_PORT: '0', LOG_LEVEL: 'info', STRANGLER_WORKERS: workers, STRANGLER_RULES: rulesFile, STRANGLER_DIFF_DB: path.join(dir, 'd.sqlite') } });
      expect(proxy.code).toBe(78);
      expect(proxy.stderr).toContain(`cannot listen on port ${taken.port}: the port is in use; set PROXY_PORT to another port`);
      const messages = `${proxy.stdout}\n${proxy.stderr}`.split('\n').map((line) => parseJson(line)?.msg);
      expect(messages).toContain('rules active');
      expect(messages).not.toContain('shadow worker started');
    } finally {
      await taken.close();
    }
  }, 30_000);
}
