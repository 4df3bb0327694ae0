import type http from 'node:http';
import type { Readable } from 'node:stream';
import type { Admission } from '../overload/admission';
import type { UpstreamGate } from '../overload/upstream-gate';
import type { Priority } from '../overload/waiting-line';
import type { Upstream } from '../rules/types';
import type { UpstreamPools } from './pools';
import { ExchangeAborted, UpstreamResponse, type ForwardOutcome } from './upstream-response';

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
  /** Admission control: the route's priority and longest wait for a slot; null: sent at once, uncounted. */
  readonly admission: { readonly priority: Priority; readonly maxQueueMs: number } | null;
  /** Told when a queued request leaves the line (tracing's queue wait); absent when tracing is off. */
  readonly queued?: (waitedMs: number, admitted: boolean) => void;
}

const CLIENT_GONE: ForwardOutcome = Object.freeze({ ok: false, failure: 'client-gone', error: null, reusedSocket: false });
const SHED: ForwardOutcome = Object.freeze({ ok: false, failure: 'overloaded', error: null, reusedSocket: false });

/**
 * Sends one request upstream over undici and resolves when the response headers arrive or the
 * exchange fails. Never throws and never decides anything: the outcome says what happened and the
 * caller chooses what to do (fallback, error status, relay). It enforces what undici leaves to us:
 *  - one deadline covering the wait for a pooled connection, connect and headers; a request that
 *    timed out while queued is never sent later (aborted in onConnect, before undici writes it);
 *  - a shopper who goes away aborts the upstream exchange at once;
 *  - with admission control, a request goes only when its upstream's gate has a slot, waits for
 *    one by priority, or is shed (`overloaded`, never sent); the slot is held until the upstream
 *    exchange is over, and its time to headers teaches the gate the upstream's limit.
 */
export class Forwarder {
  constructor(private readonly pools: UpstreamPools, private readonly admission: Admission | null = null) {}

  forward(res: http.ServerResponse, request: ForwardRequest): Promise<ForwardOutcome> {
    // The shopper may have left between two attempts (a retry, a fallback): nothing is sent then.
    if (res.destroyed || res.closed) return Promise.resolve(CLIENT_GONE);
    if (request.admission === null || this.admission === null) return this.send(res, request, null, 0);
    const gate = this.admission.gate(request.upstream);
    if (gate.tryEnter()) return this.send(res, request, gate, 0);
    return this.queue(res, request, gate, request.admission);
  }

  /** Waits in the upstream's line; the wait counts towards the request's deadline. */
  private queue(res: http.ServerResponse, request: ForwardRequest, gate: UpstreamGate, admission: NonNullable<ForwardRequest['admission']>): Promise<ForwardOutcome> {
    const admissionControl = this.admission!;
    return new Promise<ForwardOutcome>((resolve) => {
      const enqueuedAt = admissionControl.now();
      const onClientClose = (): void => { gate.cancel(waiter); resolve(CLIENT_GONE); };
      const waiter = gate.wait(admission.priority, Math.min(admission.maxQueueMs, request.timeoutMs), enqueuedAt, (admitted) => {
        res.off('close', onClientClose);
        const now = admissionControl.now();
        request.queued?.(now - enqueuedAt, admitted);
        if (!admitted) { resolve(SHED); return; }
        if (res.destroyed || res.closed) { gate.leave(null, 0, now); resolve(CLIENT_GONE); return; }
        void this.send(res, request, gate, now - enqueuedAt).then(resolve);
      });
      if (!waiter.done) res.once('close', onClientClose);
    });
  }

  private send(res: http.ServerResponse, request: ForwardRequest, gate: UpstreamGate | null, waitedMs: number): Promise<ForwardOutcome> {
    return new Promise<ForwardOutcome>((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      const onClientClose = (): void => exchange.abort(new ExchangeAborted('client closed the connection', 'client-gone'));
      // What the gate learns: time to headers of an answer (or of a timeout), nothing from a refusal or reset.
      let sample: number | null = null;
      const sentAt = gate === null ? 0 : this.admission!.now();
      const inFlightAtSend = gate === null ? 0 : gate.inFlight;
      const exchange = new UpstreamResponse((outcome) => {
        if (timer !== null) clearTimeout(timer);
        res.off('close', onClientClose);
        if (gate !== null && (outcome.ok || outcome.failure === 'timeout')) sample = this.admission!.now() - sentAt;
        resolve(outcome);
      }, gate === null ? null : () => gate.leave(sample, inFlightAtSend, this.admission!.now()));
      const timeoutMs = Math.max(1, request.timeoutMs - waitedMs);
      timer = setTimeout(() => exchange.abort(new ExchangeAborted(`no response headers within ${request.timeoutMs} ms`, 'timeout')), timeoutMs);
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
