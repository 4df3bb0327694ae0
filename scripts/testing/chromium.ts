import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'undici';

/** Debian's Chromium, installed by scripts/install-chromium.sh (run by .ci/run). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface Pending { resolve(value: Record<string, unknown>): void; reject(error: Error): void }

/** One page of a headless Chromium driven over the DevTools protocol (a flat session on the browser's socket). */
export interface LivePage {
  /** Evaluates an expression in the page (awaiting a promise) and returns its value as JSON. */
  evaluate<T>(expression: string): Promise<T>;
  /** A PNG of the whole page at the given width. */
  screenshot(width: number): Promise<Buffer>;
  /** Every request the page made (URLs), and every console or log message (CSP violations land here). */
  readonly requests: string[];
  readonly messages: string[];
  close(): Promise<void>;
}

/**
 * Starts Chromium headless with `--remote-debugging-port=0`, reads the `DevTools listening on
 * ws://…` line from its stderr, opens `url` in a new target and attaches to it. `close` kills the
 * browser (SIGKILL after 3 s) and removes its profile; call it in afterAll.
 */
export async function openLivePage(url: string, options: { width?: number; height?: number } = {}): Promise<LivePage> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run scripts/install-chromium.sh (as root) or set CHROMIUM_PATH`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-'));
  const child: ChildProcess = spawn(CHROMIUM, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, '--remote-debugging-port=0', `--window-size=${options.width ?? 1280},${options.height ?? 1000}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let socket: WebSocket | null = null;
  const kill = async (): Promise<void> => {
    socket?.close();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(profile, { recursive: true, force: true });
  };
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`Chromium did not say where DevTools listens within 20 s:\n${err}`)), 20000);
      child.stderr!.on('data', (chunk: Buffer) => {
        err += chunk.toString('utf8');
        const found = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (found) { clearTimeout(timer); resolve(found[1]); }
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`Chromium exited (${code}):\n${err}`)); });
    });
    const ws = new WebSocket(endpoint);
    socket = ws;
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve());
      ws.addEventListener('error', () => reject(new Error(`cannot connect to ${endpoint}`)));
    });
    let nextId = 1;
    const pending = new Map<number, Pending>();
    const requests: string[] = [];
    const messages: string[] = [];
    ws.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: Record<string, unknown>; error?: { message: string }; method?: string; params?: Record<string, unknown> };
      if (message.id !== undefined) {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) waiter?.reject(new Error(message.error.message)); else waiter?.resolve(message.result ?? {});
        return;
      }
      const params = message.params ?? {};
      if (message.method === 'Network.requestWillBeSent') requests.push(String((params.request as { url: string }).url));
      if (message.method === 'Log.entryAdded') messages.push(String((params.entry as { text: string }).text));
      if (message.method === 'Runtime.consoleAPICalled') messages.push((params.args as Array<{ value?: unknown }>).map((a) => String(a.value)).join(' '));
      if (message.method === 'Runtime.exceptionThrown') messages.push(String((params.exceptionDetails as { text: string }).text));
    });
    ws.addEventListener('close', () => { for (const waiter of pending.values()) waiter.reject(new Error('DevTools connection closed')); pending.clear(); });
    const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> => new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => { pending.delete(id); reject(new Error(`${method}: no answer within 15 s`)); }, 15000);
      pending.set(id, { resolve: (v) => { clearTimeout(timer); resolve(v); }, reject: (e) => { clearTimeout(timer); reject(e); } });
      ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
    const { targetId } = await send('Target.createTarget', { url: 'about:blank' }) as { targetId: string };
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true }) as { sessionId: string };
    for (const domain of ['Page', 'Network', 'Log', 'Runtime']) await send(`${domain}.enable`, {}, sessionId);
    await send('Emulation.setDeviceMetricsOverride', { width: options.width ?? 1280, height: options.height ?? 1000, deviceScaleFactor: 1, mobile: false }, sessionId);
    await send('Page.navigate', { url }, sessionId);
    const evaluate = async <T>(expression: string): Promise<T> => {
      const answer = await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, sessionId) as { result: { value?: unknown }; exceptionDetails?: { text: string; exception?: { description?: string } } };
      if (answer.exceptionDetails) throw new Error(`in the page: ${answer.exceptionDetails.exception?.description ?? answer.exceptionDetails.text}`);
      return answer.result.value as T;
    };
    return {
      requests, messages, evaluate,
      async screenshot(width: number): Promise<Buffer> {
        const height = await evaluate<number>('Math.ceil(document.documentElement.scrollHeight)');
        await send('Emulation.setDeviceMetricsOverride', { width, height: Math.min(Math.max(height, 200), 4000), deviceScaleFactor: 1, mobile: false }, sessionId);
        const shot = await send('Page.captureScreenshot', { format: 'png' }, sessionId) as { data: string };
        return Buffer.from(shot.data, 'base64');
      },
      close: kill,
    };
  } catch (error) {
    await kill();
    throw error;
  }
}
