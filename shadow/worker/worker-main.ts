/**
 * The shadow worker thread: owns the mirrored-request client, the diff store and the Mirror, so
 * decoding, parsing, normalising, diffing, redaction and store writes (better-sqlite3 or pg) never
 * run on the thread that serves shoppers. Started by ShadowWorker (shadow-worker.ts); speaks
 * protocol.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ShadowClient } from '../client';
import type { ShadowAnswer } from '../compare/compare';
import { decodeAnswer } from '../decode-answer';
import { Mirror, type ShadowJob, type ShadowOutcome } from '../mirror';
import { DEFAULT_STORE_OPTIONS, DiffStore } from '../store/diff-store';
import type { GuardWindow } from '../store/guard-window';
import type { FromWorker, StoreCounters, StoreHealth, ToWorker, WireJob, WireServed, WorkerSetup } from './protocol';

const REPORT_EVERY_MS = 100;
/** How often the latest rollout verdicts are read from the store for the dashboard. */
const VERDICTS_EVERY_MS = 2000;
/** How often the routes' noise probe pictures are sent to the main thread (for /status), when they changed. */
const NOISE_EVERY_MS = 1000;
/** After the grace period, how long closing the client may take before the store is closed anyway. */
const CLOSE_CLIENT_MS = 250;
/**
 * How long a job posted with the shopper's request waits for its served answer. The handler always
 * settles it (answer or nothing) when the exchange ends; this only bounds a job whose settling was
 * lost (a postMessage that failed), so it cannot hold an in-flight slot for ever.
 */
const SERVED_WAIT_MS = 120_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('worker-main must run in a worker thread');
  const setup = workerData as WorkerSetup;
  const post = (message: FromWorker): void => port.postMessage(message);
  const store = new DiffStore(setup.diffDb, setup.storeOptions ?? DEFAULT_STORE_OPTIONS, setup.replica);
  if (store.kind === 'sqlite') {
    // A file that cannot be opened is a setting to fix: the worker says so and does not start.
    try {
      await store.open();
    } catch (error) {
      post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
      return;
    }
  }
  // PostgreSQL is connected in the background and again after every failure: a database that is
  // down when the proxy starts costs buffered (then dropped) rows, never the shadow worker.
  store.start();
  const client = new ShadowClient(setup.shadowTimeoutMs, setup.captureBytes);
  const inFlight = new Int32Array(setup.inFlight);
  const outcomes = new Map<string, [string, ShadowOutcome, number]>();
  const countOutcome = (route: string, outcome: ShadowOutcome): void => {
    const key = `${route}\u0000${outcome}`;
    const entry = outcomes.get(key);
    if (entry) entry[2]++; else outcomes.set(key, [route, outcome, 1]);
  };
  // The worker's Mirror is only ever `run`: the main thread already bounds how many are in flight.
  const mirror = new Mirror(client, store, { outcome: countOutcome });
  let running = 0;
  let done: number[] = [];
  /** Traced jobs' outcomes since the last report (their mirror spans end with them). */
  let traced: Array<[number, ShadowOutcome | null]> = [];
  let last: StoreCounters & StoreHealth | null = null;

  const report = (): void => {
    const counters = { droppedRows: store.droppedRows, failedFlushes: store.failedFlushes, writtenRows: store.writtenRows, droppedShoppers: store.droppedShoppers };
    const health = { ok: store.ok, lastError: store.lastError, lastErrorAt: store.lastErrorAt, buffered: store.buffered };
    const now = { ...counters, ...health };
    const changed = last === null || (Object.keys(now) as Array<keyof typeof now>).some((key) => now[key] !== last![key]);
    if (outcomes.size === 0 && done.length === 0 && !changed) return;
    post({ type: 'report', outcomes: [...outcomes.values()], done, store: counters, health, ...(traced.length > 0 ? { traced } : {}) });
    outcomes.clear();
    done = [];
    traced = [];
    last = now;
  };
  const timer = setInterval(report, REPORT_EVERY_MS);
  const readVerdicts = (): void => {
    store.lastVerdicts().then((verdicts) => post({ type: 'verdicts', verdicts }), () => { /* a busy or unreachable store: the next read will do */ });
  };
  readVerdicts();
  const verdictTimer = setInterval(readVerdicts, VERDICTS_EVERY_MS);
  let lastNoise = '[]';
  const sendNoise = (): void => {
    const pictures = mirror.probes.pictures();
    const text = JSON.stringify(pictures);
    if (text !== lastNoise) { lastNoise = text; post({ type: 'noise', pictures }); }
  };
  const noiseTimer = setInterval(sendNoise, NOISE_EVERY_MS);

  /** Jobs posted with the shopper's request, waiting for their served answer. */
  const waiting = new Map<number, (served: WireServed | null) => void>();
  const runJob = (id: number, wire: WireJob): void => {
    running++;
    const served = wire.served !== null ? Promise.resolve(wire.served) : new Promise<WireServed | null>((resolve) => {
      const timer = setTimeout(() => { waiting.delete(id); resolve(null); }, SERVED_WAIT_MS);
      waiting.set(id, (answer) => { clearTimeout(timer); waiting.delete(id); resolve(answer); });
    });
    const decoded = served.then((answer): ShadowAnswer | null => {
      if (answer === null) return null;
      // Counted once the shopper has been served: a request that failed or fell back was never compared.
      store.count(wire.route, wire.at, 'sampled');
      return decodeServed(answer, setup.captureBytes);
    });
    void mirror.runAtOnce(decodeJob(wire), decoded)
      .catch((): ShadowOutcome => { countOutcome(wire.route, 'error'); return 'error'; })
      .then((outcome) => { if (wire.traced) traced.push([id, outcome]); })
      .finally(() => { running--; Atomics.sub(inFlight, 0, 1); done.push(id); });
  };

  const stop = async (graceMs: number): Promise<void> => {
    const until = Date.now() + graceMs;
    while (running > 0 && Date.now() < until) await sleep(10);
    // undici's close waits for requests still running; past the grace period they get a moment, no more.
    await Promise.race([client.close(), sleep(CLOSE_CLIENT_MS)]);
    clearInterval(timer);
    clearInterval(verdictTimer);
    clearInterval(noiseTimer);
    try { await store.close(); } catch { /* the last flush's failure is already counted; nothing more to do */ }
    report();
    post({ type: 'stopped' });
  };

  port.on('message', (message: ToWorker) => {
    if (message.type === 'jobs') {
      for (const { id, job } of message.jobs) runJob(id, job);
      for (const { id, served } of message.answers) waiting.get(id)?.(served);
    }
    else if (message.type === 'counts') {
      for (const c of message.counts) {
        for (let i = 0; i < c.sampled; i++) store.count(c.route, c.at, 'sampled');
        for (let i = 0; i < c.dropped; i++) store.count(c.route, c.at, 'dropped');
        for (let i = 0; i < c.errors; i++) store.count(c.route, c.at, 'errors');
      }
    } else if (message.type === 'traffic') {
      store.addTraffic(message.deltas);
      if (message.shoppers) store.addShoppers(message.shoppers);
    }
    else if (message.type === 'read-conversions') {
      const started = Date.now();
      const answer = (windows: GuardWindow[]): void => post({ type: 'conversions', windows, tookMs: Date.now() - started });
      store.guardWindows(message.routes, started).then(answer, () => answer([]));
    }
    else if (message.type === 'stop') void stop(message.graceMs);
  });
  post({ type: 'ready' });
}

/**
 * Back to what Mirror expects: Buffers, and the served body decoded (gunzipped, brotli-decoded...)
 * here, never on the shoppers' thread, which only teed the bytes it sent.
 */
function decodeServed(served: WireServed, captureBytes: number): ShadowAnswer {
  return decodeAnswer({ ...served, body: buffer(served.body) }, captureBytes);
}

function decodeJob(wire: WireJob): Omit<ShadowJob, 'served'> {
  const { served: _served, traced: _traced, ...job } = wire;
  return { ...job, body: wire.body ? buffer(wire.body) : null };
}

function buffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

void main();
