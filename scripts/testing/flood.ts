import http from 'node:http';

/** What one request of a load loop got. */
export interface Answer {
  readonly status: number;
  readonly ms: number;
  readonly code: string | null;
  readonly retryAfter: string | null;
  readonly backend: string | null;
}

export interface LoadOptions {
  readonly port: number;
  readonly path: (i: number) => string;
  readonly method?: string;
  readonly headers?: http.OutgoingHttpHeaders;
  readonly body?: string;
}

/** One request on the given agent, read to its end; the JSON error code and the headers that matter. */
export function ask(agent: http.Agent, options: LoadOptions, i: number): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: options.port, path: options.path(i), method: options.method ?? 'GET', agent,
      headers: { ...(options.body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(options.body) } : {}), ...options.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let code: string | null = null;
        if ((res.statusCode ?? 0) >= 400) {
          try { code = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { code?: string } }).error?.code ?? null; } catch { code = null; }
        }
        const header = (name: string): string | null => { const v = res.headers[name]; return v === undefined ? null : String(v); };
        resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, code, retryAfter: header('retry-after'), backend: header('x-strangler-backend') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * A closed-loop flood: `concurrency` loops each sending one request after another until
 * `durationMs` has passed (bounded in time, loopback only). Resolves with every answer.
 */
export async function flood(options: LoadOptions, concurrency: number, durationMs: number): Promise<Answer[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const until = Date.now() + durationMs;
  const answers: Answer[] = [];
  let n = 0;
  const loop = async (): Promise<void> => {
    while (Date.now() < until) answers.push(await ask(agent, options, n++));
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  agent.destroy();
  return answers;
}
