/**
 * How long a stopping proxy may take, in a module of its own so the launcher (scripts/cli/start.ts)
 * can size its wait without loading the proxy.
 */

/** On SIGTERM, requests in flight get this long to finish before their connections are cut. */
export const SHUTDOWN_DRAIN_MS = 10_000;

/**
 * The most a proxy takes from SIGTERM to exit: the drain, then the mirrors in flight get their
 * timeout (STRANGLER_SHADOW_TIMEOUT_MS) so their rows are written, plus a margin for the pools
 * and the diff store's last flush. A cluster's primary waits this long for its workers.
 */
export function proxyStopBoundMs(shadowTimeoutMs: number): number {
  return SHUTDOWN_DRAIN_MS + shadowTimeoutMs + 5000;
}
