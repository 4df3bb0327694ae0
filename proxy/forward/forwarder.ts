import type http from 'node:http';
import type { Readable } from 'node:stream';
import type { Upstream } from '../rules/types';
import type { ForwardOutcome } from './outcome';
import type { UpstreamPools } from './pools';
import { ExchangeAborted, UpstreamResponse } from './upstream-response';

export interface ForwardRequest {
  readonly upstream: Upstream;
  /** One deadline for pool wait + connect + response headers. */
  readonly timeoutMs: number;
  readonly method: string;
  /** The path and query exactly as received (the path that was matched is the path that is sent). */
  readonly path: string;
  /** Flat name, value, … list, already filtered (transforms/request-headers.ts). */
  readonly headers: readonly string[];
  /** The body: the client's stream (sent once), a buffered copy (retries), or none. */
  readonly body: Readable | Buffer | null;
}

/**
 * Sends one request upstream over undici and resolves when the response headers arrive or the
 * exchange fails. Never throws and never decides anything: the outcome says what happened and the
 * caller chooses what to do (fallback, error status, relay). It enforces what undici leaves to us:
 *  - one deadline covering the wait for a pooled connection, connect and headers; a request that
 *    timed out while queued is never sent later (aborted in onConnect, before undici writes it);
 *  - a shopper who goes away aborts the upstream exchange at once.
 */
export class Forwarder {
  constructor(private readonly pools: UpstreamPools) {}

  forward(res: http.ServerResponse, request: ForwardRequest): Promise<ForwardOutcome> {
    // The shopper may have left between two attempts (a retry, a fallback): nothing is sent then.
    if (res.destroyed || res.closed) return Promise.resolve({ ok: false, failure: 'client-gone', error: null, reusedSocket: false });
    return new Promise<ForwardOutcome>((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      const onClientClose = (): void => exchange.abort(new ExchangeAborted('client closed the connection', 'client-gone'));
      const exchange = new UpstreamResponse((outcome) => {
        if (timer !== null) clearTimeout(timer);
        res.off('close', onClientClose);
        resolve(outcome);
      });
      timer = setTimeout(() => exchange.abort(new ExchangeAborted(`no response headers within ${request.timeoutMs} ms`, 'timeout')), request.timeoutMs);
      res.once('close', onClientClose);
      try {
        this.pools.get(request.upstream).dispatch({
          path: request.path, method: request.method as 'GET', headers: request.headers as string[], body: request.body,
        }, exchange);
      } catch (error) {
        // undici refuses some requests outright (a header it will not send): an outcome, never a crash.
        exchange.onError(error as Error);
      }
    });
  }
}
