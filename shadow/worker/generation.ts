import { Worker } from 'node:worker_threads';
import type { FromWorker, StoreCounters, StoreHealth, Traced, WorkerSetup } from './protocol';

export const NO_COUNTERS: StoreCounters = { droppedRows: 0, failedFlushes: 0, writtenRows: 0, droppedShoppers: 0 };

/** One worker thread, and what the main thread knows of it. */
export interface Generation {
  readonly worker: Worker;
  /** Jobs posted and not finished, shared with the worker: exact at once, no message needed. */
  readonly inFlight: Int32Array;
  ready: boolean;
  /** Jobs posted whose outcome has not come back: if the worker dies, they are counted as errors. */
  /** Jobs posted and not reported done; `done` frees what the proxy holds for the job (an upstream slot). */
  readonly pending: Map<number, { readonly route: string; readonly at: number; readonly done: (() => void) | null; readonly traced?: Traced | null }>;
  /** The worker's store counters, as of its last report. */
  store: StoreCounters;
  /** Its store's health as of the last report; null before the first. */
  health: StoreHealth | null;
  /** Settles when the worker says it has closed the store. */
  readonly stopped: Promise<void>;
  readonly exited: Promise<void>;
}

export interface GenerationEvents {
  report(gen: Generation, message: Extract<FromWorker, { type: 'report' }>): void;
  verdicts(message: Extract<FromWorker, { type: 'verdicts' }>): void;
  conversions(message: Extract<FromWorker, { type: 'conversions' }>): void;
  noise?(message: Extract<FromWorker, { type: 'noise' }>): void;
  /** The thread ended: `error` says why; `wasReady` is false when it never opened the store. */
  exit(gen: Generation, error: Error, wasReady: boolean): void;
}

/** Starts one worker thread; `ready` resolves once it has opened the store, rejects if it ends first. */
export function spawnGeneration(script: string, setup: Omit<WorkerSetup, 'inFlight'>, events: GenerationEvents): { gen: Generation; ready: Promise<void> } {
  const inFlight = new SharedArrayBuffer(4);
  const worker = new Worker(script, { workerData: { ...setup, inFlight } satisfies WorkerSetup });
  // Never what keeps the process alive: stop() is how a proxy ends it.
  worker.unref();
  let stopped!: () => void;
  let exited!: () => void;
  const gen: Generation = {
    worker, inFlight: new Int32Array(inFlight), ready: false, pending: new Map(), store: NO_COUNTERS, health: null,
    stopped: new Promise((resolve) => { stopped = resolve; }), exited: new Promise((resolve) => { exited = resolve; }),
  };
  const ready = new Promise<void>((resolve, reject) => {
    let failure: Error | null = null;
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'ready') { gen.ready = true; resolve(); }
      else if (message.type === 'failed') { failure = new Error(message.message); void worker.terminate(); }
      else if (message.type === 'report') events.report(gen, message);
      else if (message.type === 'verdicts') events.verdicts(message);
      else if (message.type === 'conversions') events.conversions(message);
      else if (message.type === 'noise') events.noise?.(message);
      else if (message.type === 'stopped') stopped();
    });
    worker.on('error', (error) => { failure ??= error; });
    worker.once('exit', (code) => {
      const error = failure ?? new Error(`shadow worker exited with code ${code}`);
      const wasReady = gen.ready;
      gen.ready = false;
      exited();
      events.exit(gen, error, wasReady);
      reject(error); // no effect once resolved
    });
  });
  return { gen, ready };
}
