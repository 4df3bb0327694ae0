import type http from 'node:http';
import type { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { BreakerBoard } from '../breaker/breaker-board';
import { decide, type BreakerGates, type Decision, type DecideInputs } from '../decide/decide';
import type { StranglerErrorCode } from '../errors';
import type { FlagSource } from '../flags/flag-state';
import type { Forwarder, ForwardRequest } from '../forward/forwarder';
import type { ForwardFailure } from '../forward/failure';
import type { ForwardOutcome } from '../forward/upstream-response';
import { errorCodeFor } from '../forward/status-map';
import { outgoingRequestHeaders, withTraceparent } from '../forward/transforms/request-headers';
import { outgoingResponseHeaders, type Backend } from '../forward/transforms/response-headers';
import type { AccessEntry } from '../observability/access-log';
import type { Logger } from '../observability/logger';
import type { ShopperMarks } from '../observability/shopper-marks';
import type { TrafficCounters } from '../observability/traffic-counters';
import type { TrafficWindows } from '../observability/traffic-windows';
import { UNMATCHED_ROUTE, type ProxyMetrics } from '../observability/metrics';
import type { RateLimits } from '../overload/rate-limits';
import type { ActiveRules } from '../rules/store';
import type { AttemptKind, ProxyTracer, RequestTrace } from '../tracing/types';
import type { CompiledRoute, Upstream } from '../rules/types';
import { anonCookie } from './anon-id';
import { requestRefusal } from './refusal';
import { requestIdOf, traceparentOf } from './request-ids';
import { sendError } from './respond';
import { bodyPlan, EMPTY_BODY, isRetryable, readBody } from './retry-policy';
import { startShadow, type ShadowHook, type StartedShadow } from './shadow-tap';

export interface HandlerDeps {
  readonly rules: { current(): ActiveRules };
  readonly flags: FlagSource;
  readonly forwarder: Forwarder;
  readonly metrics: ProxyMetrics;
  readonly log: Logger;
  /** One JSON line per request (observability/access-log.ts). */
  readonly accessLog: (entry: AccessEntry) => void;
  readonly decideInputs: DecideInputs;
  /** Largest request body buffered so that a retryable request can be sent twice. */
  readonly retryBodyLimit: number;
  /** Mirroring of sampled requests; null when shadow traffic is off. */
  readonly shadow: ShadowHook | null;
  /** Each route's circuit breaker: read by the decision, told every extracted outcome. */
  readonly breakers: BreakerBoard;
  /** Per-minute evidence counters (requests, failures, fallbacks, latency) per route and side. */
  readonly traffic: TrafficCounters;
  /** The last 15 minutes in 10-second slots, for GET /stats and the dashboard (counted the same way). */
  readonly windows: TrafficWindows;
  /** Each route's token buckets (routes with `rate_limit`). */
  readonly rateLimits: RateLimits;
  /** OpenTelemetry spans (tracing/); null when no OTLP endpoint is set: then no tracing code runs. */
  readonly tracer?: ProxyTracer | null;
  /** The conversion guard's exposed and converted shoppers (observability/shopper-marks.ts); absent in tests that do not count them. */
  readonly shoppers?: ShopperMarks;
}

/** What a shed request is told: try again in a second (its queue is at most about that long). */
const OVERLOADED_HEADERS = Object.freeze({ 'retry-after': '1' });

/** Everything one request carries through its life; made once at the top of the handler. */
interface Exchange {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  readonly started: number;
  readonly requestId: string;
  readonly rules: ActiveRules;
  readonly decision: Decision;
  readonly setCookie: string | null;
  /** Chosen for shadow comparison (route `shadow.percent`). */
  readonly sampled: boolean;
  /** The headers sent upstream (flat list), the same for every attempt. */
  readonly headers: readonly string[];
  /** Whether extracted failed this request (as the breaker counts), once it was asked; null otherwise. */
  extractedFailed: boolean | null;
  /** The mirror of a sampled request, started as it is forwarded; null otherwise. */
  shadow: StartedShadow | null;
  /** The request's spans; null when tracing is off. */
  readonly trace: RequestTrace | null;
}

/**
 * The shopper-facing request handler, as a short list of steps:
 * refuse what cannot be routed safely → decide → forward → fall back if allowed → relay → record.
 */
export function createHandler(deps: HandlerDeps): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const breakerGates: BreakerGates = (route) => deps.breakers.gate(route);
  const tracer = deps.tracer ?? null;
  return function handle(req, res) {
    const started = performance.now();
    const requestId = requestIdOf(req.headers);
    const rules = deps.rules.current(); // one snapshot for the whole request, even across a reload
    const refusal = refusalOf(req);
    if (refusal !== null) {
      deps.metrics.rejected.labels(refusal).inc();
      const status = sendError(res, refusal, { requestId, route: null, backend: null, setCookie: null, close: true });
      deps.log.info({ reqId: requestId, method: req.method, status, code: refusal, ms: Math.round(performance.now() - started) }, 'refused');
      return;
    }
    const query = req.url!.indexOf('?');
    const path = query === -1 ? req.url! : req.url!.slice(0, query);
    // Traced only when sampled; a request the sampler drops just sends its traceparent (flag 00) on.
    const traced = tracer === null ? null : tracer.startRequest(req);
    const trace = typeof traced === 'object' ? traced : null;
    const decision = decide(rules.table, { method: req.method!, path, headers: req.headers, remoteAddress: req.socket.remoteAddress }, deps.flags.current(), deps.decideInputs, breakerGates);
    if (decision.newIdentity) deps.metrics.anonymousIds.inc();
    if (decision.route !== null && decision.route.rateLimit !== null) {
      const limited = deps.rateLimits.check(decision.route, decision.identity, req.socket.remoteAddress, req.headers, started);
      if (limited !== null) {
        refuseRateLimited(deps, req, res, started, requestId, rules, decision, limited.headers, trace);
        return;
      }
    }
    if (decision.probe) deps.breakers.probeStarted(decision.route!);
    const shadowPercent = decision.route !== null && decision.route.shadow !== null ? decision.route.shadow.percent : 0;
    const exchange: Exchange = {
      req, res, started, requestId, rules, decision,
      setCookie: decision.newIdentity && decision.identity !== null ? anonCookie(decision.identity) : null,
      sampled: shadowPercent > 0 && deps.shadow !== null && deps.shadow.sample(shadowPercent),
      headers: outgoingRequestHeaders(req.headers, { remoteAddress: req.socket.remoteAddress ?? '', requestId, traceparent: typeof traced === 'string' ? traced : traceparentOf(req.headers) }),
      extractedFailed: null, shadow: null, trace,
    };
    void serve(deps, exchange);
  };
}

/** 429 before anything is sent upstream: counted and logged, but not evidence about either side. */
function refuseRateLimited(deps: HandlerDeps, req: http.IncomingMessage, res: http.ServerResponse, started: number, requestId: string, rules: ActiveRules, decision: Decision, headers: Readonly<Record<string, string>>, trace: RequestTrace | null): void {
  const route = decision.route!;
  const setCookie = decision.newIdentity && decision.identity !== null ? anonCookie(decision.identity) : null;
  const status = sendError(res, 'STRANGLER_ERR_RATE_LIMITED', { requestId, route: route.name, backend: null, setCookie, headers });
  deps.metrics.shed.labels(route.name, 'rate_limit').inc();
  deps.windows.shed(route.name, 'rate_limit', Date.now());
  // Not in strangler_requests_total nor the observed split: no backend answered (strangler_shed_total has it).
  const seconds = (performance.now() - started) / 1000;
  deps.accessLog({
    reqId: requestId, method: req.method!, path: req.url!, route: route.name, side: decision.side, backend: decision.side, bucket: decision.bucket,
    reason: decision.reason, status, ms: Math.round(seconds * 10000) / 10, epoch: rules.epoch, code: 'STRANGLER_ERR_RATE_LIMITED',
  });
  trace?.finish({ method: req.method!, target: req.url!, routePath: route.path, route: route.name, backend: decision.side, reason: decision.reason, status, code: 'STRANGLER_ERR_RATE_LIMITED' });
}

function refusalOf(req: http.IncomingMessage): StranglerErrorCode | null {
  // An Upgrade header without `Connection: upgrade` reaches the handler, not the upgrade listener.
  if (req.headers.upgrade !== undefined) return 'STRANGLER_ERR_UPGRADE_UNSUPPORTED';
  return requestRefusal(req);
}

async function serve(deps: HandlerDeps, ex: Exchange): Promise<void> {
  const { decision, req } = ex;
  const route = decision.route;
  const first: Upstream = decision.side === 'extracted' && route !== null ? route.extracted : ex.rules.table.legacy;
  const timeoutMs = route !== null ? route.timeoutMs : ex.rules.table.defaults.timeoutMs;
  const maxQueueMs = route !== null ? route.maxQueueMs : ex.rules.table.defaults.maxQueueMs;
  // `overload: false` (the route's or the defaults'): sent at once, outside admission control.
  const admission = maxQueueMs !== null ? { priority: route !== null ? route.priority : 1 as const, maxQueueMs } : null;
  const retryable = isRetryable(req);
  // A sampled request's body is kept too, so a write can be mirrored to extracted as a dry run.
  const plan = bodyPlan(req, retryable || ex.sampled, deps.retryBodyLimit);
  let body: Buffer | null = null;
  if (plan.kind === 'buffer') {
    body = await readBody(req);
    if (body === null) {
      if (decision.probe) deps.breakers.probeAbandoned(route!);
      record(deps, ex, 'legacy', 499, 'STRANGLER_ERR_CLIENT_GONE');
      return;
    }
  }
  // The other side is asked now, at the same moment as this one, so both answer from the same state.
  if (ex.sampled && plan.kind !== 'stream' && route !== null) ex.shadow = startShadow(deps.shadow!, ex.rules.table, route, req, ex.headers, body, decision.side, Date.now(), ex.trace);
  const canRetry = retryable && plan.kind !== 'stream';
  const retryBody = body ?? EMPTY_BODY;

  let backend: Backend = decision.side;
  let tried: Upstream = first;
  const send = (upstream: Upstream, sendBody: Readable | Buffer | null, kind: AttemptKind): Promise<ForwardOutcome> => {
    if (ex.trace === null) return deps.forwarder.forward(ex.res, { upstream, timeoutMs, method: req.method!, path: req.url!, headers: ex.headers, body: sendBody, admission });
    return tracedSend(deps, ex, { upstream, timeoutMs, method: req.method!, path: req.url!, headers: ex.headers, body: sendBody, admission }, kind, ex.trace);
  };
  let outcome = await send(first, plan.kind === 'stream' ? req : body, 'first');
  // Keep-alive race: the upstream closed an idle pooled connection as we reused it. Safe to resend once.
  if (!outcome.ok && outcome.failure === 'reset' && outcome.reusedSocket && canRetry) outcome = await send(first, retryBody, 'retry');
  if (decision.side === 'extracted' && route !== null) judgeExtracted(deps, ex, route, outcome);

  const failedReason = extractedFailure(outcome, backend, route);
  if (failedReason !== null && route !== null) {
    deps.metrics.upstreamFailures.labels(route.name, first.name, failedReason).inc();
    if (canRetry && route.fallback !== null) {
      if (outcome.ok) outcome.response.discard(); // read the failed answer out so its connection returns to the pool
      deps.metrics.fallbacks.labels(route.name, failedReason).inc();
      backend = 'legacy-fallback';
      tried = route.fallback;
      outcome = await send(route.fallback, retryBody, 'fallback');
    } else if (outcome.ok) {
      // A failure status on a request that must not be replayed: a clear error, never a second send.
      outcome.response.discard();
      const status = sendError(ex.res, 'STRANGLER_ERR_UPSTREAM_STATUS', errorContext(ex, backend), { upstreamStatus: outcome.response.status });
      record(deps, ex, backend, status, 'STRANGLER_ERR_UPSTREAM_STATUS');
      return;
    }
  }

  if (!outcome.ok) {
    if (outcome.failure !== 'client-gone' && outcome.failure !== 'overloaded' && route !== null && failedReason === null) {
      deps.metrics.upstreamFailures.labels(route.name, tried.name, outcome.failure).inc();
    }
    fail(deps, ex, backend, outcome.failure);
    return;
  }

  const response = outcome.response;
  const status = response.status;
  const headers = outgoingResponseHeaders(response.headers, { route: route ? route.name : UNMATCHED_ROUTE, backend, setCookie: ex.setCookie });
  const tap = backend !== 'legacy-fallback' ? ex.shadow : null;
  if (tap !== null) response.tap((chunk) => tap.add(chunk));
  const relayed = response.relay(ex.res, status, headers, (completed) => {
    // Compared only once the shopper has everything: the mirror never sits on their path.
    if (tap !== null && completed) tap.served(status, response.headers, performance.now() - ex.started);
    record(deps, ex, backend, completed ? status : 499, completed ? null : 'STRANGLER_ERR_RESPONSE_ABORTED');
  });
  if (!relayed) fail(deps, ex, backend, 'malformed');
}

/** One traced attempt: its client span is named by the traceparent sent upstream, and told the queue wait and outcome. */
async function tracedSend(deps: HandlerDeps, ex: Exchange, request: ForwardRequest, kind: AttemptKind, trace: RequestTrace): Promise<ForwardOutcome> {
  const headers = withTraceparent(request.headers, trace.beginAttempt(request.upstream, kind));
  const outcome = await deps.forwarder.forward(ex.res, { ...request, headers, queued: (waitedMs, admitted) => trace.queued(waitedMs, admitted) });
  trace.attemptOutcome(outcome);
  return outcome;
}

/** The shopper's error answer for a failed exchange (none when they already left), and its record. */
function fail(deps: HandlerDeps, ex: Exchange, backend: Backend, failure: ForwardFailure): void {
  const code = errorCodeFor(failure);
  if (failure === 'overloaded') {
    // Shed by admission control: never sent, so no backend answered.
    const status = sendError(ex.res, code, { ...errorContext(ex, backend), backend: null, headers: OVERLOADED_HEADERS });
    deps.metrics.shed.labels(ex.decision.route ? ex.decision.route.name : UNMATCHED_ROUTE, 'overload').inc();
    deps.windows.shed(ex.decision.route ? ex.decision.route.name : UNMATCHED_ROUTE, 'overload', Date.now());
    record(deps, ex, backend, status, code);
    return;
  }
  const status = failure === 'client-gone' ? 499 : sendError(ex.res, code, errorContext(ex, backend));
  record(deps, ex, backend, status, code);
}

/** Tells the breaker (and the evidence counters, through the exchange) how extracted did. */
function judgeExtracted(deps: HandlerDeps, ex: Exchange, route: CompiledRoute, outcome: ForwardOutcome): void {
  // Neither a shopper who left nor a request the proxy shed says anything about extracted.
  if (!outcome.ok && (outcome.failure === 'client-gone' || outcome.failure === 'overloaded')) {
    if (ex.decision.probe) deps.breakers.probeAbandoned(route);
    return;
  }
  // DESIGN "Circuit breaker": what fallback counts, plus any 5xx from extracted.
  const failed = outcome.ok ? outcome.response.status >= 500 || route.fallbackOn.has(outcome.response.status) : true;
  ex.extractedFailed = failed;
  deps.breakers.result(route, failed, ex.decision.probe);
}

/** Why an extracted answer counts as failed (DESIGN: refused, reset, timeout, or a `fallback_on` status). */
function extractedFailure(outcome: ForwardOutcome, backend: Backend, route: CompiledRoute | null): string | null {
  if (backend !== 'extracted' || route === null) return null;
  if (outcome.ok) return route.fallbackOn.has(outcome.response.status) ? `status_${outcome.response.status}` : null;
  return outcome.failure === 'client-gone' || outcome.failure === 'overloaded' ? null : outcome.failure;
}

function errorContext(ex: Exchange, backend: Backend): { requestId: string; route: string; backend: Backend; setCookie: string | null } {
  return { requestId: ex.requestId, route: ex.decision.route ? ex.decision.route.name : UNMATCHED_ROUTE, backend, setCookie: ex.setCookie };
}

/** The access line and the metrics, once per request. */
function record(deps: HandlerDeps, ex: Exchange, backend: Backend, status: number, code: string | null): void {
  ex.shadow?.cancel(); // every end but a served answer (a no-op after one) leaves the mirror nothing to compare
  const seconds = (performance.now() - ex.started) / 1000;
  const route = ex.decision.route;
  const routeName = route ? route.name : UNMATCHED_ROUTE;
  // A shed request reached neither side: not in strangler_requests_total (strangler_shed_total has it),
  // nor evidence about either side (rollout, breaker, dashboard rates), nor an alert's 5xx.
  const shed = code === 'STRANGLER_ERR_OVERLOADED';
  if (!shed) deps.metrics.route(routeName).observe(backend, status, seconds);
  if (route !== null && !shed) {
    // Counted by the side the decision chose: a request that fell back still counts against extracted.
    const side = ex.decision.side;
    const failed = side === 'extracted' && ex.extractedFailed !== null ? ex.extractedFailed : status >= 500;
    const fellBack = backend === 'legacy-fallback';
    const now = Date.now();
    deps.traffic.observe(routeName, side, failed, fellBack, seconds * 1000, now);
    deps.windows.observe(routeName, side, failed, fellBack, seconds * 1000, now);
    deps.shoppers?.observe(ex.rules.table, ex.decision, ex.req, status, deps.flags.current(), (r) => deps.breakers.gate(r), now);
  }
  deps.accessLog({
    reqId: ex.requestId, method: ex.req.method!, path: ex.req.url!, route: routeName, side: ex.decision.side, backend, bucket: ex.decision.bucket,
    reason: ex.decision.reason, status, ms: Math.round(seconds * 10000) / 10, epoch: ex.rules.epoch, code,
  });
  ex.trace?.finish({ method: ex.req.method!, target: ex.req.url!, routePath: route ? route.path : null, route: routeName, backend, reason: ex.decision.reason, status, code });
}
