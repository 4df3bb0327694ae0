import type http from 'node:http';
import type { Dispatcher } from 'undici';
import { classifyError, closedWhileReused, type ForwardFailed, type ForwardFailure } from './failure';

/**
 * How an upstream exchange ended: its response has started, or it failed before that. Beside the
 * response it carries, so that failure.ts needs nothing from this module.
 */
export type ForwardOutcome = { readonly ok: true; readonly response: UpstreamResponse } | ForwardFailed;

/** Body bytes held for a response nobody relays yet (the handler is deciding); past this, the upstream is paused. */
const HOLD_BYTES = 64 * 1024;
/** A failed answer being thrown away is read to its end (its connection goes back to the pool) up to this size; past it, the connection is cut. */
const DISCARD_BYTES = 128 * 1024;

/** An error we abort the upstream exchange with, so nothing mistakes it for the upstream's own failure. */
export class ExchangeAborted extends Error {
  constructor(message: string, readonly failure: ForwardFailure) {
    super(message);
  }
}

/**
 * One upstream exchange, as undici's dispatch handler sees it (the raw form: headers as the
 * Buffers undici read, no parsing or object we do not use) and as the proxy's handler sees it
 * once headers have arrived: a status, a flat header list, and a body it can relay, tap or
 * discard. undici calls onHeaders, onData and onComplete in one go for a small answer, before the
 * handler has decided what to do, so body chunks wait here until relay() or discard().
 */
export class UpstreamResponse implements Dispatcher.DispatchHandler {
  status = 0;
  /** Response headers as name, value, … with lower-case names. */
  headers: string[] = [];

  private abortUpstream: ((error?: Error) => void) | null = null;
  private abortedWith: ExchangeAborted | null = null;
  private started = false;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private ended = false;
  private failedMidBody = false;
  private resumeUpstream: (() => void) | null = null;
  private sink: http.ServerResponse | null = null;
  private discarding = false;
  private discarded = 0;
  private onChunk: ((chunk: Buffer) => void) | null = null;
  private onDone: ((completed: boolean) => void) | null = null;
  /** Told once when the upstream exchange is over, however it ended (admission control frees its slot). */
  private onFinished: (() => void) | null;

  constructor(private readonly settle: (outcome: ForwardOutcome) => void, onFinished: (() => void) | null = null) {
    this.onFinished = onFinished;
  }

  private finished(): void {
    const onFinished = this.onFinished;
    if (onFinished === null) return;
    this.onFinished = null;
    onFinished();
  }

  /** Ends the exchange from our side (deadline, shopper gone): before the answer starts it settles as that failure. */
  abort(error: ExchangeAborted): void {
    if (this.abortedWith !== null) return;
    this.abortedWith = error;
    if (!this.started) this.settle({ ok: false, failure: error.failure, error, reusedSocket: false });
    this.abortUpstream?.(error);
    this.finish(false);
    this.finished();
  }

  onConnect(abort: (error?: Error) => void): void {
    // A request whose deadline passed while it waited for a pooled connection is never sent.
    if (this.abortedWith !== null) abort(this.abortedWith);
    else this.abortUpstream = abort;
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    if (status < 200) return true; // 1xx informational answers (103 Early Hints) are not relayed
    this.status = status;
    const headers = this.headers;
    for (let i = 0; i < raw.length; i += 2) headers.push(raw[i].toString('latin1').toLowerCase(), raw[i + 1].toString('latin1'));
    this.resumeUpstream = resume;
    this.started = true;
    this.settle({ ok: true, response: this });
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.onChunk?.(chunk);
    if (this.sink !== null) {
      if (this.sink.write(chunk)) return true;
      this.sink.once('drain', this.resumeUpstream!);
      return false;
    }
    if (this.discarding) {
      this.discarded += chunk.length;
      if (this.discarded > DISCARD_BYTES) this.abort(new ExchangeAborted('discarded answer too long to drain', 'error'));
      return true;
    }
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    return this.heldBytes < HOLD_BYTES;
  }

  onComplete(): void {
    // Trailers are not relayed: the shopper's response is re-framed by Node, like every hop-by-hop detail.
    this.ended = true;
    this.sink?.end();
    this.finished();
  }

  onError(error: Error): void {
    this.finished();
    if (this.abortedWith !== null) return; // our own abort coming back
    if (!this.started) {
      this.settle({ ok: false, failure: classifyError(error), error, reusedSocket: closedWhileReused(error) });
      return;
    }
    // The upstream died mid-body: the shopper must see an abort, never a complete-looking answer.
    this.failedMidBody = true;
    if (this.sink !== null) {
      this.sink.destroy();
      this.finish(false);
    }
  }

  /** Sees every body chunk as it passes (the shadow tap), those already held included. Never changes them. */
  tap(onChunk: (chunk: Buffer) => void): void {
    for (const chunk of this.held) onChunk(chunk);
    this.onChunk = onChunk;
  }

  /**
   * Streams the answer to the shopper with the head given. `onDone(true)` once the shopper has all
   * of it; `onDone(false)` when either side went away first (the other is then released at once).
   * False when Node refuses the head (nothing was sent: the caller answers with an error instead).
   */
  relay(res: http.ServerResponse, status: number, headers: readonly string[], onDone: (completed: boolean) => void): boolean {
    if (res.destroyed || res.closed) {
      // The shopper left while the handler was deciding (nothing listened on `res` then): release the upstream now.
      this.onDone = onDone;
      this.abort(new ExchangeAborted('shopper closed the connection', 'client-gone'));
      return true;
    }
    try {
      res.writeHead(status, headers as string[]);
    } catch {
      // A header value llhttp let through that Node will not write: nothing has been sent yet.
      this.abort(new ExchangeAborted('upstream header not writable', 'malformed'));
      return false;
    }
    this.onDone = onDone;
    res.once('close', () => {
      if (res.writableFinished) { this.finish(true); return; }
      this.abort(new ExchangeAborted('shopper closed the connection', 'client-gone'));
    });
    if (this.failedMidBody) { res.destroy(); this.finish(false); return true; }
    const held = this.held;
    this.held = [];
    this.sink = res;
    if (this.ended) {
      // The whole answer is here (most are): head and body leave in one write.
      if (held.length === 1) res.end(held[0]);
      else { for (const chunk of held) res.write(chunk); res.end(); }
      return true;
    }
    let flowing = true;
    for (const chunk of held) flowing = res.write(chunk);
    if (!flowing) res.once('drain', this.resumeUpstream!);
    else if (this.heldBytes >= HOLD_BYTES) this.resumeUpstream!();
    return true;
  }

  /** Throws the answer away (a failure status being retried elsewhere); its connection is reused when the rest is short. */
  discard(): void {
    this.held = [];
    if (this.ended || this.failedMidBody) return;
    this.discarding = true;
    if (this.heldBytes >= HOLD_BYTES) this.resumeUpstream!();
  }

  private finish(completed: boolean): void {
    const onDone = this.onDone;
    if (onDone === null) return;
    this.onDone = null;
    onDone(completed);
  }
}
