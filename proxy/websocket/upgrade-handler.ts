import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { BreakerBoard } from '../breaker/breaker-board';
import { decide, type BreakerGates, type Decision, type DecideInputs } from '../decide/decide';
import type { StranglerErrorCode } from '../errors';
import type { FlagSource } from '../flags/flag-state';
import { errorCodeFor } from '../forward/status-map';
import { flatToObject } from '../forward/transforms/hop-by-hop';
import { outgoingRequestHeaders } from '../forward/transforms/request-headers';
import { outgoingResponseHeaders } from '../forward/transforms/response-headers';
import { anonCookie } from '../http/anon-id';
import { requestRefusal } from '../http/refusal';
import { requestIdOf, traceparentOf } from '../http/request-ids';
import { answerOnSocket, sendSocketError } from '../http/respond-socket';
import type { AccessEntry } from '../observability/access-log';
import type { Logger } from '../observability/logger';
import type { ProxyMetrics } from '../observability/metrics';
import type { TrafficCounters } from '../observability/traffic-counters';
import type { TrafficWindows } from '../observability/traffic-windows';
import type { Admission } from '../overload/admission';
import type { RateLimits } from '../overload/rate-limits';
import type { ActiveRules } from '../rules/store';
import type { CompiledRoute } from '../rules/types';
import { asksForWebSocket, handshakeRefusal } from './handshake';
import { admitHandshake } from './handshake-admission';
import type { HandshakeOutcome, WebSocketRelay } from './relay';
import type { WebSocketBackend, WebSocketSide } from './websocket-side';

export interface UpgradeDeps {
  readonly rules: { current(): ActiveRules };
  readonly flags: FlagSource;
  readonly metrics: ProxyMetrics;
  readonly log: Logger;
  /** The access line, marked `"upgrade":"websocket"` (observability/access-log.ts). */
  readonly accessLog: (entry: AccessEntry) => void;
  readonly decideInputs: DecideInputs;
  readonly breakers: BreakerBoard;
  readonly traffic: TrafficCounters;
  readonly websockets: WebSocketSide;
  /** The route's rate limit applies to handshakes, as to requests. */
  readonly rateLimits: RateLimits;
  /** A handshake waits for its upstream's slot like a request (null: admission control off). */
  readonly admission: Admission | null;
  readonly windows: TrafficWindows;
}

/** One handshake that was decided: everything its outcome needs to be recorded. */
interface WebSocketExchange {
  readonly req: http.IncomingMessage;
  readonly socket: Duplex;
  readonly started: number;
  readonly requestId: string;
  readonly rules: ActiveRules;
  readonly route: CompiledRoute;
  readonly decision: Decision;
  readonly backend: WebSocketBackend;
  readonly setCookie: string | null;
  /** Frees the admission slot the handshake holds (none: a no-op). */
  release: () => void;
}

const REFUSED_RESULT: Partial<Record<string, string>> = { refused: 'refused', timeout: 'timeout', 'client-gone': 'abandoned', shutdown: 'shutdown' };

/**
 * The shopper server's 'upgrade' listener (DESIGN "WebSocket routes"), as a short list of steps:
 * refuse what cannot be routed safely (the same checks as HTTP, first) → 501 unless it is a
 * WebSocket handshake on a `websocket: true` route → refuse a malformed handshake → decide, as
 * for any request → tunnel through http-proxy → record. No fallback and no shadow.
 */
export function createUpgradeHandler(deps: UpgradeDeps): (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void {
  const breakerGates: BreakerGates = (route) => deps.breakers.gate(route);
  return function upgrade(req, socket, head) {
    // Node removes its own 'error' listener before this event: a reset from here on would be uncaught.
    socket.on('error', () => undefined);
    const started = performance.now();
    const requestId = requestIdOf(req.headers);
    const rules = deps.rules.current();
    const query = req.url!.indexOf('?');
    const path = query === -1 ? req.url! : req.url!.slice(0, query);
    const refusal = requestRefusal(req);
    if (refusal !== null) { refuse(deps, req, socket, started, requestId, refusal, null); return; }
    const route = asksForWebSocket(req.headers.upgrade) ? rules.table.match(req.method!, path, req.headers) : null;
    if (route === null || !route.websocket) { refuse(deps, req, socket, started, requestId, 'STRANGLER_ERR_UPGRADE_UNSUPPORTED', null); return; }
    const malformed = handshakeRefusal(req);
    if (malformed !== null) {
      deps.metrics.websocketUpgrades.labels(route.name, 'none', 'rejected').inc();
      refuse(deps, req, socket, started, requestId, malformed.code, route, malformed.detail);
      return;
    }
    if (deps.websockets.closing) { refuse(deps, req, socket, started, requestId, 'STRANGLER_ERR_SHUTTING_DOWN', route); return; }

    const decision = decide(rules.table, { method: req.method!, path, headers: req.headers, remoteAddress: req.socket.remoteAddress }, deps.flags.current(), deps.decideInputs, breakerGates);
    if (decision.newIdentity) deps.metrics.anonymousIds.inc();
    if (decision.probe) deps.breakers.probeStarted(route);
    const ex: WebSocketExchange = {
      req, socket, started, requestId, rules, route, decision, backend: decision.side,
      setCookie: decision.newIdentity && decision.identity !== null ? anonCookie(decision.identity) : null,
      release: () => undefined,
    };
    if (route.rateLimit !== null) {
      const limited = deps.rateLimits.check(route, decision.identity, req.socket.remoteAddress, req.headers, started);
      if (limited !== null) { shed(deps, ex, 'STRANGLER_ERR_RATE_LIMITED', limited.headers); return; }
    }
    if (deps.admission === null || route.maxQueueMs === null) { open(deps, ex, head); return; }
    const upstream = decision.side === 'extracted' ? route.extracted : rules.table.legacy;
    admitHandshake(deps.admission, upstream, route.priority, Math.min(route.maxQueueMs, route.timeoutMs), socket, (release) => {
      ex.release = release;
      open(deps, ex, head);
    }, () => shed(deps, ex, 'STRANGLER_ERR_OVERLOADED', OVERLOADED_HEADERS));
  };
}

/** 503 when shed by admission control, 429 over the rate limit; the route's breaker is not told. */
const OVERLOADED_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'retry-after': '1' });

/**
 * A handshake refused before anything was sent upstream: counted in strangler_shed_total and the
 * route's shed figures, logged, but neither a request to a backend nor evidence about one.
 */
function shed(deps: UpgradeDeps, ex: WebSocketExchange, code: 'STRANGLER_ERR_RATE_LIMITED' | 'STRANGLER_ERR_OVERLOADED', headers: Readonly<Record<string, string>>): void {
  const { route, decision } = ex;
  if (decision.probe) deps.breakers.probeAbandoned(route);
  const status = sendSocketError(ex.socket, code, { requestId: ex.requestId, route: route.name, backend: null, setCookie: ex.setCookie }, Object.entries(headers).flat());
  const reason = code === 'STRANGLER_ERR_RATE_LIMITED' ? 'rate_limit' : 'overload';
  deps.metrics.shed.labels(route.name, reason).inc();
  deps.windows.shed(route.name, reason, Date.now());
  deps.metrics.websocketUpgrades.labels(route.name, 'none', 'shed').inc();
  deps.accessLog({
    reqId: ex.requestId, method: ex.req.method!, path: ex.req.url!, route: route.name, side: decision.side, backend: decision.side, bucket: decision.bucket,
    reason: decision.reason, status, ms: Math.round((performance.now() - ex.started) * 10) / 10, epoch: ex.rules.epoch, code,
  });
}

/** Tunnels a decided, admitted handshake (http-proxy is loaded on the first websocket route). */
function open(deps: UpgradeDeps, ex: WebSocketExchange, head: Buffer): void {
  const relay = deps.websockets.current();
  if (relay !== null) { tunnel(deps, ex, relay, head); return; }
  // A reload has just added the first websocket route: http-proxy is still loading.
  deps.websockets.ensureLoaded().then((loaded) => tunnel(deps, ex, loaded, head), (error: Error) => {
    deps.log.error({ error: error.message }, 'http-proxy could not be loaded; WebSocket handshakes fail');
    handshakeDone(deps, ex, { kind: 'failed', failure: 'error', error });
  });
}

function refuse(deps: UpgradeDeps, req: http.IncomingMessage, socket: Duplex, started: number, requestId: string, code: StranglerErrorCode, route: CompiledRoute | null, detail?: string): void {
  deps.metrics.rejected.labels(code).inc();
  // RFC 6455 §4.2.2: a version the server does not speak is answered with the one it does.
  const extra = code === 'STRANGLER_ERR_WEBSOCKET_VERSION' ? ['sec-websocket-version', '13'] : [];
  const status = sendSocketError(socket, code, { requestId, route: route?.name ?? null, backend: null, setCookie: null }, extra, detail ? { detail } : {});
  deps.log.info({ reqId: requestId, method: req.method, upgrade: req.headers.upgrade, route: route?.name, status, code, detail, ms: Math.round(performance.now() - started) }, 'refused');
}

function tunnel(deps: UpgradeDeps, ex: WebSocketExchange, relay: WebSocketRelay, head: Buffer): void {
  const { req, route, backend } = ex;
  const upstream = backend === 'extracted' ? route.extracted : ex.rules.table.legacy;
  // The same hygiene as HTTP: x-strangler-* and hop-by-hop headers dropped, X-Forwarded-*, Via and
  // tracing set; then the two hop-by-hop headers this hop needs.
  const headers = outgoingRequestHeaders(req.headers, { remoteAddress: req.socket.remoteAddress ?? '', requestId: ex.requestId, traceparent: traceparentOf(req.headers) });
  headers.push('connection', 'Upgrade', 'upgrade', 'websocket');
  relay.open({
    req, socket: ex.socket, head, origin: upstream.url, path: req.url!, headers: flatToObject(headers), timeoutMs: route.timeoutMs,
    answerHeaders: (upstreamHeaders) => withoutLength(outgoingResponseHeaders(upstreamHeaders, { route: route.name, backend, setCookie: ex.setCookie })),
    onHandshake: (outcome) => handshakeDone(deps, ex, outcome),
    onClosed: (closed) => {
      deps.websockets.closed(route.name, backend);
      deps.log.info({ reqId: ex.requestId, route: route.name, backend, by: closed.by, seconds: Math.round(closed.seconds * 1000) / 1000 }, 'websocket closed');
    },
  });
}

/** RFC 9110 §8.6: a 1xx answer has no Content-Length. */
function withoutLength(flat: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) if (flat[i] !== 'content-length') out.push(flat[i], flat[i + 1]);
  return out;
}

/** Answers a handshake that did not open (the relay calls this synchronously), and records every one. */
function handshakeDone(deps: UpgradeDeps, ex: WebSocketExchange, outcome: HandshakeOutcome): void {
  const { route, backend, decision } = ex;
  ex.release();
  const extracted = decision.side === 'extracted';
  const context = { requestId: ex.requestId, route: route.name, backend, setCookie: ex.setCookie };
  switch (outcome.kind) {
    case 'open':
      deps.websockets.opened(route.name, backend);
      if (extracted) deps.breakers.result(route, false, decision.probe);
      record(deps, ex, 'ok', 101, null, false);
      return;
    case 'declined': {
      // The upstream's own refusal (a 404 for an unknown product, a 403 for a bad origin): relayed as it is.
      const failed = outcome.status >= 500 || route.fallbackOn.has(outcome.status);
      if (extracted) deps.breakers.result(route, failed, decision.probe);
      answerOnSocket(ex.socket, outcome.status, outgoingResponseHeaders(outcome.headers, context), outcome.body);
      record(deps, ex, 'declined', outcome.status, null, failed);
      return;
    }
    case 'failed': {
      const { failure } = outcome;
      if (failure === 'client-gone' || failure === 'shutdown') {
        if (decision.probe) deps.breakers.probeAbandoned(route);
        const status = failure === 'shutdown' ? sendSocketError(ex.socket, 'STRANGLER_ERR_SHUTTING_DOWN', context) : 499;
        record(deps, ex, REFUSED_RESULT[failure]!, status, failure === 'shutdown' ? 'STRANGLER_ERR_SHUTTING_DOWN' : 'STRANGLER_ERR_CLIENT_GONE', false);
        return;
      }
      if (extracted) deps.breakers.result(route, true, decision.probe);
      deps.metrics.upstreamFailures.labels(route.name, backend === 'extracted' ? route.extracted.name : ex.rules.table.legacy.name, failure).inc();
      const code = errorCodeFor(failure);
      const status = sendSocketError(ex.socket, code, context);
      deps.log.warn({ reqId: ex.requestId, route: route.name, backend, failure, error: outcome.error?.message }, 'websocket handshake failed');
      record(deps, ex, REFUSED_RESULT[failure] ?? 'failed', status, code, true);
    }
  }
}

/** The access line, the request and upgrade metrics and the evidence counters, once per decided handshake. */
function record(deps: UpgradeDeps, ex: WebSocketExchange, result: string, status: number, code: string | null, failed: boolean): void {
  const seconds = (performance.now() - ex.started) / 1000;
  const { route, backend, decision } = ex;
  deps.metrics.websocketUpgrades.labels(route.name, backend, result).inc();
  deps.metrics.route(route.name).observe(backend, status, seconds);
  deps.traffic.observe(route.name, decision.side, failed, false, seconds * 1000, Date.now());
  deps.accessLog({
    reqId: ex.requestId, method: ex.req.method!, path: ex.req.url!, route: route.name, side: decision.side, backend, bucket: decision.bucket,
    reason: decision.reason, status, ms: Math.round(seconds * 10000) / 10, epoch: ex.rules.epoch, code,
  });
}
