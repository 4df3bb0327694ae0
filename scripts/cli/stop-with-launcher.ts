/**
 * Preloaded (`node --require`) into each process `strangler start` starts. The launcher starts
 * them in their own process group, so a Ctrl-C reaches only the launcher, which stops them in
 * order; this makes them go when the launcher itself is gone without stopping them (SIGKILL, a
 * crash): its IPC channel to them closes, and each stops as on SIGTERM, draining as usual.
 *
 * Only the launcher's own child acts: a cluster worker (preloaded too, through execArgv) has its
 * primary for a parent, and a worker thread has no channel of its own.
 */
import { isMainThread } from 'node:worker_threads';

/** The variable the launcher sets to its pid in its children's environment. */
export const LAUNCHER_PID_VARIABLE = 'STRANGLER_LAUNCHER_PID';

if (isMainThread && process.channel !== undefined && process.env[LAUNCHER_PID_VARIABLE] === String(process.ppid)) {
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  // A 'disconnect' listener holds the channel, which would keep a stopped process from exiting.
  process.channel.unref();
}
