import http from 'node:http';
import { BIG_BODY_BYTES, DOWNLOAD_PATH, UPLOAD_PATH, writeBigBody } from './bench-paths';
import { benchRules, startBareProxy, startStrangler, startUpstream, type Running } from './contenders';
import { LOAD_CORE, PROXY_CORE } from './http-bench';
import { peakRssMb } from './procstat';

/**
 * Peak RSS while streaming big bodies: 1 MiB downloads and 1 MiB uploads through bare
 * http-proxy and through our proxy (the 25 % split rules; these paths are unmatched, so they go
 * to legacy), 20 one after another then 8 at once, every byte count checked. Loopback only, each
 * transfer and the whole measurement bounded in time.
 */
export const SEQUENTIAL = 20;
export const CONCURRENT = 8;
const TRANSFER_TIMEOUT_MS = 10_000;
const BUDGET_MS = 60_000;
const CHUNK = Buffer.alloc(64 * 1024, 'upload-');

export interface Transfers { ok: number; failed: number; ms: number }
export interface BigBodiesResult { name: string; peakRssMb: number; downloads: Transfers; uploads: Transfers }

type Transfer = (base: string, agent: http.Agent, deadline: number) => Promise<string | null>;

/** One request with an absolute timeout; resolves with a problem, or null when `check` passes. */
function exchange(url: string, options: http.RequestOptions, deadline: number, send: (req: http.ClientRequest) => void, check: (status: number, bytes: number, text: string) => string | null): Promise<string | null> {
  return new Promise((resolve) => {
    const ms = Math.min(TRANSFER_TIMEOUT_MS, deadline - Date.now());
    if (ms <= 0) { resolve('not run: time budget spent'); return; }
    const req = http.request(url, options, (res) => {
      let bytes = 0;
      let text = '';
      res.on('data', (data: Buffer) => { bytes += data.length; if (text.length < 256) text += data.toString('latin1', 0, Math.min(data.length, 256)); });
      res.on('end', () => { clearTimeout(timer); resolve(check(res.statusCode ?? 0, bytes, text)); });
      res.on('error', (error) => { clearTimeout(timer); resolve(error.message); });
    });
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${ms} ms`)), ms);
    req.on('error', (error) => { clearTimeout(timer); resolve(error.message); });
    send(req);
  });
}

const download: Transfer = (base, agent, deadline) => exchange(`${base}${DOWNLOAD_PATH}`, { agent }, deadline, (req) => req.end(),
  (status, bytes) => (status === 200 && bytes === BIG_BODY_BYTES ? null : `download: status ${status}, ${bytes} of ${BIG_BODY_BYTES} bytes`));

/** A POST of BIG_BODY_BYTES with a Content-Length, written 64 KiB at a time as the socket drains. */
const upload: Transfer = (base, agent, deadline) => exchange(`${base}${UPLOAD_PATH}`,
  { agent, method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': BIG_BODY_BYTES } }, deadline,
  (req) => writeBigBody(req, CHUNK),
  (status, _bytes, text) => {
    const echoed = /"bytes":(\d+)/.exec(text)?.[1];
    return status === 200 && Number(echoed) === BIG_BODY_BYTES ? null : `upload: status ${status}, upstream read ${echoed ?? '?'} of ${BIG_BODY_BYTES} bytes`;
  });

/** SEQUENTIAL transfers one after another, then CONCURRENT at once. */
async function transfers(base: string, transfer: Transfer, deadline: number, problems: string[]): Promise<Transfers> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENT });
  const started = Date.now();
  const results: (string | null)[] = [];
  try {
    for (let i = 0; i < SEQUENTIAL; i++) results.push(await transfer(base, agent, deadline));
    results.push(...(await Promise.all(Array.from({ length: CONCURRENT }, () => transfer(base, agent, deadline)))));
  } finally {
    agent.destroy();
  }
  const failed = results.filter((r): r is string => r !== null);
  if (failed.length > 0) problems.push(failed[0]);
  return { ok: results.length - failed.length, failed: failed.length, ms: Date.now() - started };
}

export async function runBigBodies(log: (line: string) => void): Promise<BigBodiesResult[]> {
  const deadline = Date.now() + BUDGET_MS;
  const upstream = await startUpstream(LOAD_CORE);
  const results: BigBodiesResult[] = [];
  const problems: string[] = [];
  try {
    const proxies: [string, () => Promise<Running>][] = [
      ['(b) bare http-proxy', () => startBareProxy(PROXY_CORE, upstream.url)],
      ['strangler 25% split', () => startStrangler(PROXY_CORE, 'strangler 25% split', benchRules(upstream.url, upstream.url, { percent: 25 }))],
    ];
    for (const [name, start] of proxies) {
      const proxy = await start();
      try {
        const downloads = await transfers(proxy.url, download, deadline, problems);
        const uploads = await transfers(proxy.url, upload, deadline, problems);
        results.push({ name, peakRssMb: peakRssMb(proxy.pids()), downloads, uploads });
      } finally {
        await proxy.stop();
      }
    }
    const total = (kind: 'downloads' | 'uploads'): Transfers => results.reduce((t, r) => ({ ok: t.ok + r[kind].ok, failed: t.failed + r[kind].failed, ms: t.ms + r[kind].ms }), { ok: 0, failed: 0, ms: 0 });
    results.push({ name: 'upstream (behind both)', peakRssMb: peakRssMb(upstream.pids()), downloads: total('downloads'), uploads: total('uploads') });
  } finally {
    await upstream.stop();
  }
  for (const problem of problems) log(`  FAILED: ${problem}`);
  return results;
}
