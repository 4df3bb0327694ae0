import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ShadowOutcome } from '../../shadow/outcomes';
import { ShadowWorker, type CapturedShadowJob } from '../../shadow/worker/shadow-worker';
import { NOISY_HTML_PATH, NOISY_JSON_PATH, noisyHtml, noisyJson } from './noisy-pages';

/**
 * The evidence pipeline's capacity: one real shadow worker thread (its undici client, decoding,
 * comparison, redaction and SQLite store) fed sampled reads of noisy ~200 KB pages (noisy-pages.ts),
 * the other side and legacy's second answer asked of a real server. First as many as it takes
 * (the in-flight limit kept full): comparisons per second. Then an open-loop offer at four times that:
 * what is compared, what is dropped and counted.
 * The worker's in-flight limit is the proxy's default (STRANGLER_SHADOW_MAX_IN_FLIGHT). `node shadow-capacity.js ORIGIN SECONDS`, run
 * pinned to one core by the bench (the worker thread shares it with this thread, as in the proxy);
 * prints one JSON line.
 */
const MAX_IN_FLIGHT = 64;

/** `perSecond`: comparisons finished within the phase's `seconds`; `compared` also counts the jobs it left running (finished after). */
export interface CapacityPhase { offered: number; compared: number; dropped: number; errors: number; seconds: number; perSecond: number }
export interface KindCapacity { kind: 'json' | 'html'; bytes: number; capacity: CapacityPhase; pastCapacity: CapacityPhase }

interface Counts { compared: number; dropped: number; errors: number }

async function measureKind(origin: string, kind: 'json' | 'html', seconds: number): Promise<KindCapacity> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strangler-capacity-'));
  const counts: Counts = { compared: 0, dropped: 0, errors: 0 };
  const onOutcome = (_route: string, outcome: ShadowOutcome, n: number): void => {
    if (outcome === 'match' || outcome === 'mismatch') counts.compared += n;
    else if (outcome === 'dropped') counts.dropped += n;
    else counts.errors += n;
  };
  const worker = await ShadowWorker.start({ diffDb: path.join(dir, 'diffs.sqlite'), shadowTimeoutMs: 10_000, captureBytes: 1024 * 1024, maxInFlight: MAX_IN_FLIGHT, onOutcome });
  const page = kind === 'json' ? noisyJson : noisyHtml;
  const type = kind === 'json' ? 'application/json' : 'text/html; charset=utf-8';
  const job = (): CapturedShadowJob => ({
    at: Date.now(), route: `capacity-${kind}`, config: { ignore: [], arrayKeys: {}, normalisers: [] }, legacyOrigin: origin, extractedOrigin: origin,
    method: 'GET', target: kind === 'json' ? NOISY_JSON_PATH : NOISY_HTML_PATH, headers: { accept: type }, body: null, servedBy: 'legacy', source: 'live',
    served: { status: 200, headers: { 'content-type': type }, body: page(), truncated: false, ms: 1 },
  });
  const phase = async (run: (until: number) => Promise<number>, phaseSeconds = seconds): Promise<CapacityPhase> => {
    const before = { ...counts };
    const offered = await run(Date.now() + phaseSeconds * 1000);
    await sleep(150); // the worker reports outcomes every 100 ms
    const inWindow = counts.compared - before.compared;
    // Jobs still running are counted when they end (the offers stopped): wait for them, bounded.
    const until = Date.now() + 15_000;
    while (worker.busy() > 0 && Date.now() < until) await sleep(20);
    await sleep(250);
    const compared = counts.compared - before.compared;
    return { offered, compared, dropped: counts.dropped - before.dropped, errors: counts.errors - before.errors, seconds: phaseSeconds, perSecond: round(inWindow / phaseSeconds) };
  };
  try {
    // Warm-up: JIT, the client's sockets.
    await phase(async () => { for (let i = 0; i < 8; i++) worker.offer(job()); return 8; });
    // Closed loop: the in-flight limit kept full, so the worker always has work.
    const capacity = await phase(async (until) => {
      let offered = 0;
      while (Date.now() < until) {
        while (worker.busy() < MAX_IN_FLIGHT) { worker.offer(job()); offered++; }
        await sleep(5);
      }
      return offered;
    });
    // Open loop at four times the capacity, long enough to fill the in-flight limit twice over:
    // past it, the surplus is dropped and counted, never queued.
    const rate = Math.max(4 * capacity.perSecond, 10);
    const pastSeconds = Math.max(seconds, Math.ceil((2 * MAX_IN_FLIGHT) / (rate - capacity.perSecond)));
    const pastCapacity = await phase(async (until) => {
      let offered = 0;
      const start = Date.now();
      while (Date.now() < until) {
        const due = Math.floor(((Date.now() - start) / 1000) * rate);
        for (; offered < due; offered++) worker.offer(job());
        await sleep(5);
      }
      return offered;
    }, pastSeconds);
    return { kind, bytes: page().length, capacity, pastCapacity };
  } finally {
    await worker.stop(1000);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const round = (n: number): number => Math.round(n * 10) / 10;

async function main(): Promise<void> {
  const [origin, seconds] = [process.argv[2], Number(process.argv[3] ?? 5)];
  const results = [await measureKind(origin, 'json', seconds), await measureKind(origin, 'html', seconds)];
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

if (require.main === module) main().catch((error: Error) => { console.error(error.message); process.exit(1); });
