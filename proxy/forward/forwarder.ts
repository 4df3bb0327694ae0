import type http from 'node:http';
import { Readable } from 'node:stream';
import httpProxy from 'http-proxy';
import type { Upstream } from '../rules/types';
import type { AgentRegistry } from './agents';
import { classifyError, type ForwardOutcome } from './outcome';

/** An error we put on the upstream request when our deadline fires, so nothing mistakes it for a reset. */
class DeadlineExceeded extends Error {
  readonly code = 'STRANGLER_DEADLINE';
}

export interface ForwardRequest {
  readonly upstream: Upstream;
  /** One deadline for pool wait + connect + response headers. */
  readonly timeoutMs: number;
  /** The request body to send instead of streaming the client's (retries, buffered retryable bodies). */
  readonly body: Buffer | null;
}

/**
 * Sends one request upstream through http-proxy and resolves when the response headers arrive or
 * the exchange fails. Never throws and never decides anything: the outcome says what happened and
 * the caller chooses what to do (fallback, error status). The response is not piped here.
 *
 * Wrapper fixes for http-proxy 1.18.1 defects live here:
 *  - our own deadline covers the wait for a pooled socket and reports `timeout`, not a reset;
 *  - a shopper who goes away aborts the upstream request (http-proxy #1586 listens for the
 *    deprecated `aborted` event, which Node 20 does not emit for a closed response);
 *  - a synchronous throw inside `proxy.web` becomes an outcome instead of a crash.
 */
export class Forwarder {
  private readonly proxy = httpProxy.createProxyServer({
    xfwd: false, // we set X-Forwarded-* ourselves; http-proxy would append to the client's value
    ws: false,
    toProxy: true, // forward req.url as received: the path that was matched is the path that is sent
    prependPath: false,
    selfHandleResponse: true,
    followRedirects: false,
  });

  constructor(private readonly agents: AgentRegistry) {
    // Errors reach the per-request callback; this listener only guarantees none is ever unhandled.
    this.proxy.on('error', () => undefined);
  }

  forward(req: http.IncomingMessage, res: http.ServerResponse, request: ForwardRequest): Promise<ForwardOutcome> {
    return new Promise<ForwardOutcome>((resolve) => {
      const agent = this.agents.get(request.upstream);
      let settled = false;
      let upstreamRequest: http.ClientRequest | null = null;
      const settle = (outcome: ForwardOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        res.off('close', onClientClose);
        resolve(outcome);
      };
      const fail = (error: Error, failure = classifyError(error)): void => {
        settle({ ok: false, failure, error, reusedSocket: upstreamRequest?.reusedSocket ?? false });
      };
      const onClientClose = (): void => {
        upstreamRequest?.destroy();
        fail(new Error('client closed the connection'), 'client-gone');
      };
      const timer = setTimeout(() => {
        const error = new DeadlineExceeded(`no response headers within ${request.timeoutMs} ms`);
        fail(error, 'timeout');
        upstreamRequest?.destroy(error);
      }, request.timeoutMs);
      res.once('close', onClientClose);

      agent.lastRequest = null;
      try {
        this.proxy.web(req, res, {
          target: request.upstream.target,
          agent,
          buffer: request.body === null ? undefined : Readable.from([request.body]),
        }, (error: Error) => fail(error));
      } catch (error) {
        fail(error as Error);
        return;
      }
      upstreamRequest = agent.lastRequest as http.ClientRequest | null; // set synchronously inside proxy.web
      agent.lastRequest = null;
      if (upstreamRequest === null) {
        fail(new Error('http-proxy did not create an upstream request'), 'error');
        return;
      }
      const sent = upstreamRequest;
      sent.once('response', (response: http.IncomingMessage) => {
        if (settled) { response.destroy(); return; }
        settle({ ok: true, response, request: sent });
      });
    });
  }
}
