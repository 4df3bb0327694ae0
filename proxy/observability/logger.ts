import pino from 'pino';
import { LineBatch } from './line-batch';

const BATCH_CHARS = 4096;

/**
 * JSON logs at LOG_LEVEL. No log line carries request headers, so cookies and authorization never
 * reach a log (and there is nothing for a per-line redaction pass to do: it cost 4% of CPU).
 * Lines are batched up to 4 KiB (line-batch.ts), then written synchronously: with pino's default
 * of one asynchronous write per line, every request queued its own job on the libuv threadpool,
 * and the asynchronous buffered mode showed 0.5-0.9 s p99 stalls at 200 connections in the
 * benchmark. Lifecycle lines (listening, reloads) are flushed at once; the rest within 200 ms.
 */
/** The most a write to a pipe may hold and still never interleave with another process's (PIPE_BUF on Linux). */
const PIPE_BUF = 4096;

/**
 * `worker`: a cluster worker's number, put on each of its lines. Workers share the primary's
 * stdout, so their batches stay within PIPE_BUF and lines never mix (a line of non-ASCII text
 * near the bound could pass it: request paths are percent-encoded, so access lines are ASCII).
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream, worker?: number): pino.Logger {
  const buffered = destination ? null : new LineBatch(pino.destination({ sync: true }), worker === undefined ? BATCH_CHARS : PIPE_BUF - 512, worker === undefined ? Infinity : PIPE_BUF);
  const base = worker === undefined ? { pid: process.pid } : { pid: process.pid, worker };
  const logger = pino({ name: 'strangler', level, base }, destination ?? buffered!);
  // On exit, what is still batched is written synchronously, so the last lines are never lost.
  if (buffered) process.once('exit', () => { try { buffered.drain(); } catch { /* stdout already gone */ } });
  // A quiet proxy must not sit on its lines: whatever is buffered goes out within 200 ms.
  setInterval(() => logger.flush(), 200).unref();
  return logger;
}

export type Logger = pino.Logger;
