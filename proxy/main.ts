import cluster from 'node:cluster';
import type http from 'node:http';
import { adminHosts, createAdminServer } from './admin/server';
import { statsReport } from './admin/stats';
import { statusReport } from './admin/status';
import { BreakerBoard } from './breaker/breaker-board';
import { proxyConfigFromEnv, type ProxyConfig } from './config';
import { effectivePercent } from './decide/decide';
import { overrideTokenDigest } from './decide/override';
import { staticFlags, type FlagSource } from './flags/flag-state';
import { DEFAULT_POOL_OPTIONS, UpstreamPools } from './forward/pools';
import { Forwarder } from './forward/forwarder';
import { newAnonymousId } from './http/anon-id';
import { createHandler } from './http/handler';
import { listen } from './http/listen';
import { createShopperServer, DEFAULT_SHOPPER_SERVER_OPTIONS } from './http/server';
import { accessLogger } from './observability/access-log';
import { createLogger, type Logger } from './observability/logger';
import { ProxyMetrics } from './observability/metrics';
import { ShopperMarks } from './observability/shopper-marks';
import { TrafficCounters } from './observability/traffic-counters';
import { TrafficWindows } from './observability/traffic-windows';
import { Admission, mirrorSlots } from './overload/admission';
import { RateLimits } from './overload/rate-limits';
import { PRIORITIES } from './overload/waiting-line';
import { formatIssue } from './rules/load';
import type { Question } from './cluster/protocol';
import { recordReload } from './rules/reload-record';
import { RulesStore, type ActiveRules, type ReloadReport } from './rules/store';
import type { RunningProxy, WorkerStart } from './running-proxy';
import type { CompiledRoute } from './rules/types';
import { watchRulesFile } from './rules/watch';
import { ShadowSide } from './shadow-side';
import { SHUTDOWN_DRAIN_MS } from './shutdown';
import { tracingConfigFromEnv } from './tracing/otel-env';
import { startTracing } from './tracing/start-tracing';
import { registerTracingMetrics } from './tracing/tracing-metrics';
import { TRACING_OFF, type TracingStatus } from './tracing/types';
import { createUpgradeHandler } from './websocket/upgrade-handler';
import { hasWebSocketRoutes, WebSocketSide } from './websocket/websocket-side';

export { SHUTDOWN_DRAIN_MS };

/**
 * Unleash when UNLEASH_URL is set (fetching in the background), else no flags: YAML percents.
 * unleash-client is loaded only then: it adds about 15 MB to the resident size of a proxy
 * that never talks to Unleash.
 */
async function flagSourceFor(config: ProxyConfig, log: Logger, metrics: ProxyMetrics): Promise<FlagSource> {
  if (config.unleash === null) return staticFlags();
  const { UnleashFlagSource } = await import('./flags/unleash-source');
  const { url, appName, refreshIntervalMs, backupDir } = config.unleash;
  log.info({ unleash: url, appName, refreshIntervalMs, backupDir }, 'reading route flags from Unleash');
  return new UnleashFlagSource(config.unleash, {
    fetched(changed, recovered) {
      metrics.flagLastFetch.set(Date.now() / 1000);
      if (recovered) log.info({ unleash: url }, 'Unleash answers again; flag state is live');
      else if (changed) log.info({ unleash: url }, 'flag state changed');
    },
    failed(message) {
      metrics.flagFetchFailures.inc();
      log.warn({ unleash: url, error: message }, 'Unleash flag fetch failed; routes keep the last known flag state');
    },
    loadedBackup(flags) {
      log.info({ backupDir, flags }, 'flag state loaded from the Unleash backup file until the first fetch');
    },
    warned(message) {
      log.warn({ unleash: url, warning: message }, 'unleash-client warning');
    },
  });
}

/**
 * The diff store (on the shadow worker thread) is opened when a route shadows or has a rollout
 * plan: comparisons and the evidence counters that `strangler rollout` judges go there.
 */
function needsStore(routes: readonly CompiledRoute[]): boolean {
  return routes.some((route) => route.shadow !== null || route.rollout !== null);
}

/** Each upstream origin's name(s) in the active rules (two names may share one origin, and one gate). */
function namesByOrigin(active: ActiveRules): Map<string, string> {
  const names = new Map<string, string>();
  for (const upstream of active.table.upstreams.values()) {
    const known = names.get(upstream.url);
    names.set(upstream.url, known === undefined ? upstream.name : `${known},${upstream.name}`);
  }
  return names;
}

/** Starts the shopper and admin servers; rejects (with every rules error) when the rules are invalid. */
export async function startProxy(config: ProxyConfig = proxyConfigFromEnv(), log: Logger = createLogger(config.logLevel), worker: WorkerStart | null = null): Promise<RunningProxy> {
  const metrics = new ProxyMetrics();
  const traffic = new TrafficCounters();
  const windows = new TrafficWindows();
  // Made before the rules are read: their first load (and every reload) may start its worker.
  const shoppers = new ShopperMarks();
  const shadowSide = new ShadowSide(config, metrics, log, traffic, windows, shoppers);
  const breakers = new BreakerBoard((route, change) => {
    log.warn({ route, breaker: change.to, from: change.from, failureRate: change.failureRate, requests: change.requests },
      change.to === 'open' ? `breaker opened: route "${route}" sends its shoppers to legacy` : change.to === 'half-open' ? `breaker half-open: route "${route}" sends trial requests to extracted` : `breaker closed: route "${route}" routes by percent again`);
  });
  metrics.breakers = () => breakers.all();
  // http-proxy is loaded when the first websocket route becomes active (at start or on a reload).
  const websockets = new WebSocketSide();
  metrics.websockets = () => websockets.openCounts();
  const rateLimits = new RateLimits();
  // Admission control's gates are per upstream origin; metrics name them by the rules' upstream names.
  let upstreamNames = new Map<string, string>();
  const upstreamLabel = (url: string): string => upstreamNames.get(url) ?? url;
  const admission = new Admission({
    shed: (url, priority, _reason, waitedMs) => metrics.queueWait.labels(upstreamLabel(url), PRIORITIES[priority], 'shed').observe(waitedMs / 1000),
    admitted: (url, priority, waitedMs) => metrics.queueWait.labels(upstreamLabel(url), PRIORITIES[priority], 'sent').observe(waitedMs / 1000),
  });
  metrics.upstreamGates = () => [...admission.view()].map(([url, view]) => [upstreamLabel(url), view]);
  // The shadow worker starts once the ports are taken: a proxy that cannot listen starts none.
  let listening = false;
  const events = {
    onReload(report: ReloadReport, active: ActiveRules) {
      // A worker's tables come from its primary, which counts and logs each reload once.
      // A worker only ever gets good tables: it says so, and the primary's gauge shows a refused file.
      if (worker === null) recordReload(report, active, metrics, log);
      else { metrics.rulesEpoch.set(active.epoch); metrics.rulesValid.set(1); }
      if (report.result !== 'failure') {
        breakers.sync(active.table.routes);
        rateLimits.retain(new Set(active.table.routes.map((route) => route.name)));
        upstreamNames = namesByOrigin(active);
        windows.sweep(new Set(active.table.routes.map((route) => route.name)));
        // The first load at start comes through here too; its worker is started below, after listen.
        if (listening && needsStore(active.table.routes)) void shadowSide.ensureStarted();
        if (hasWebSocketRoutes(active.table.routes)) websockets.ensureLoaded().catch((error: Error) => log.error({ error: error.message }, 'http-proxy could not be loaded; WebSocket handshakes fail'));
      }
      log.flush();
    },
  };
  const store = worker === null ? await RulesStore.open(config.rulesFile, events) : RulesStore.follow(config.rulesFile, worker.rules, events);
  const pools = new UpstreamPools({ ...DEFAULT_POOL_OPTIONS, maxSockets: config.maxSocketsPerUpstream });
  const flags = await flagSourceFor(config, log, metrics);
  const tracer = await startTracing(tracingConfigFromEnv(), log);
  const tracingStatus = (): TracingStatus => (tracer === null ? TRACING_OFF : tracer.status());
  registerTracingMetrics(metrics.registry, tracingStatus);
  if (hasWebSocketRoutes(store.current().table.routes)) await websockets.ensureLoaded();
  const handler = createHandler({
    rules: store, flags, forwarder: new Forwarder(pools, admission), metrics, log, accessLog: accessLogger(log), retryBodyLimit: config.retryBodyLimit,
    decideInputs: { overrideDigest: overrideTokenDigest(config.overrideToken), newAnonymousId },
    shadow: {
      sample: (percent) => Math.random() * 100 < percent, offer: (job, done, traced) => { shadowSide.offer(job, done ?? null, traced ?? null); }, yielded: (job) => { shadowSide.yielded(job); },
      mirrorSlots: (upstreams) => mirrorSlots(admission, upstreams), captureCap: config.shadowCaptureBytes,
    },
    breakers, traffic, windows, rateLimits, tracer, shoppers,
  });
  // Releases the slots of routes idle for 15 minutes (a reload drops removed routes at once).
  const sweepTimer = setInterval(() => windows.sweep(null), 60_000).unref();
  const upgrade = createUpgradeHandler({
    rules: store, flags, metrics, log, accessLog: accessLogger(log, 'websocket'), breakers, traffic, websockets, rateLimits, admission, windows,
    decideInputs: { overrideDigest: overrideTokenDigest(config.overrideToken), newAnonymousId },
  });
  // Shoppers who connect between listen and the shadow worker's start wait for it: with shadow
  // routes at start, their worker is ready before the first shopper is served.
  let openDoor = (): void => undefined;
  let warmingUp: Promise<void> | null = new Promise((resolve) => { openDoor = resolve; });
  const serve: http.RequestListener = (req, res) => {
    if (warmingUp === null) handler(req, res);
    else void warmingUp.then(() => handler(req, res));
  };
  const shopper = createShopperServer(serve, {
    ...DEFAULT_SHOPPER_SERVER_OPTIONS, headersTimeoutMs: config.headersTimeoutMs, requestTimeoutMs: Math.max(config.requestTimeoutMs, config.headersTimeoutMs),
  }, upgrade);
  let ready = false;
  let allowed: ReadonlySet<string> = new Set();
  const loop = { breakers, admission, lastVerdict: (route: string) => shadowSide.lastVerdict(route), conversions: (routes: readonly string[], now: number) => shadowSide.conversions(routes, now), noise: (route: string) => shadowSide.noisePicture(route), websockets: () => websockets.status(), diffStore: () => shadowSide.diffStore(), tracing: tracingStatus,
    shadowLastMinute: (route: string, percent: number) => shadowSide.lastMinute(route, percent) };
  const refreshGauges = (): void => {
    const shadow = shadowSide.sample();
    metrics.shadowInFlight.set(shadow.inFlight);
    metrics.diffRowsDropped.set(shadow.droppedRows);
    metrics.conversionMarksDropped.set(shoppers.dropped + shadow.droppedShoppers);
    metrics.diffFlushFailures.set(shadow.failedFlushes);
    const diffStore = shadowSide.diffStore();
    metrics.diffStoreUp.set(diffStore.ok ? 1 : 0);
    metrics.diffRowsBuffered.set(diffStore.buffered);
    metrics.routePercent.reset();
    for (const route of store.current().table.routes) metrics.routePercent.labels(route.name).set(effectivePercent(route, flags.current()).percent);
  };
  const answer = async (what: Question): Promise<unknown> => {
    if (what === 'status') return statusReport(store, flags, metrics, pools, loop);
    if (what === 'stats') return statsReport(store, flags, loop, windows, Date.now(), true);
    refreshGauges();
    return metrics.registry.getMetricsAsJSON();
  };
  const admin = worker !== null ? null : createAdminServer({
    status: () => statusReport(store, flags, metrics, pools, loop),
    stats: () => statsReport(store, flags, loop, windows, Date.now()),
    metrics: async () => {
      refreshGauges();
      return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
    },
    ready: () => ready,
    reload: async () => {
      const report = await store.reload('admin');
      const body = { result: report.result, epoch: report.epoch, errors: report.errors.map(formatIssue), warnings: report.warnings.map(formatIssue) };
      return { status: report.result === 'failure' ? 422 : 200, body };
    },
  }, () => allowed);

  // The ports first: a taken port stops the start before any worker thread or store is opened.
  let proxyPort = 0;
  let adminPort = 0;
  try {
    proxyPort = await listen(shopper, config.proxyPort, config.proxyHost);
    if (admin !== null) adminPort = await listen(admin, config.adminPort, config.adminHost);
  } catch (error) {
    shopper.close();
    await flags.stop();
    throw error;
  }
  listening = true;
  if (needsStore(store.current().table.routes)) await shadowSide.ensureStarted();
  openDoor();
  warmingUp = null;
  allowed = adminHosts(config.adminHost, adminPort, config.adminAllowedHosts);
  const unwatch = worker !== null ? () => undefined : watchRulesFile(config.rulesFile, () => { void store.reload('watch'); });
  const onHup = (): void => { void store.reload('sighup'); };
  if (worker === null) process.on('SIGHUP', onHup);
  ready = true;
  if (worker === null) log.info({ proxy: `http://${config.proxyHost}:${proxyPort}`, admin: `http://${config.adminHost}:${adminPort}`, rules: config.rulesFile }, 'strangler proxy listening');
  log.flush();

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      ready = false;
      unwatch();
      clearInterval(sweepTimer);
      process.off('SIGHUP', onHup);
      const servers = admin === null ? [shopper] : [shopper, admin];
      const closed = Promise.all(servers.map((s) => new Promise<void>((done) => s.close(() => done()))));
      for (const server of servers) server.closeIdleConnections();
      // Upgraded sockets are no longer the HTTP server's to close: each gets a close frame 1001.
      const websocketsClosed = websockets.goingAway();
      // Requests in flight get SHUTDOWN_DRAIN_MS to finish; then their connections are cut.
      const force = setTimeout(() => { for (const server of servers) server.closeAllConnections(); }, SHUTDOWN_DRAIN_MS);
      await Promise.all([closed, websocketsClosed]);
      clearTimeout(force);
      await flags.stop();
      // Mirrored requests in flight get their own timeout to finish, so their rows are stored.
      await shadowSide.stop(config.shadowTimeoutMs);
      await pools.destroy();
      await tracer?.shutdown();
      log.flush();
    })();
    return stopping;
  };
  return { proxyPort, adminPort, store, answer, stop };
}

/** Exits for an error at start: 78 (EX_CONFIG) for a port that cannot be taken, else 1, with the reason on stderr. */
function exitForStartError(error: unknown, config: ProxyConfig, log: Logger): never {
  // The log's batched lines are older than the error: they go out first, and the error is the last word.
  log.flush();
  const { code, port } = error as Error & { code?: string; port?: number };
  if (code === 'EADDRINUSE' || code === 'EACCES') {
    // Not worth retrying: a taken port stays taken. sysexits.h EX_CONFIG tells the launcher so.
    const name = port === config.adminPort ? 'ADMIN_PORT' : 'PROXY_PORT';
    process.stderr.write(`strangler proxy: cannot listen on port ${port}: ${code === 'EADDRINUSE' ? 'the port is in use' : 'permission denied'}; set ${name} to another port\n`);
    process.exit(78);
  }
  process.stderr.write(`strangler proxy: cannot start: ${(error as Error).message}\n`);
  process.exit(1);
}

/**
 * `strangler proxy`: start, stop cleanly on SIGTERM/SIGINT, exit 1 with the errors on an invalid
 * rules file. With STRANGLER_WORKERS > 1 this process is the cluster's primary (cluster/primary.ts),
 * and the workers it forks run this same function, which hands them to cluster/worker.ts.
 */
export async function runProxyProcess(): Promise<void> {
  let config: ProxyConfig;
  try {
    config = proxyConfigFromEnv();
  } catch (error) {
    process.stderr.write(`strangler proxy: ${(error as Error).message}\n`);
    process.exit(2);
  }
  if (cluster.isWorker) {
    const { runClusterWorker } = await import('./cluster/worker');
    await runClusterWorker(config, createLogger(config.logLevel, undefined, cluster.worker!.id), startProxy);
    return;
  }
  const log = createLogger(config.logLevel);
  try {
    if (config.workers > 1) {
      const { startClusterPrimary } = await import('./cluster/primary');
      const primary = await startClusterPrimary(config, log, SHUTDOWN_DRAIN_MS);
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => { log.info({ signal }, 'stopping every worker'); void primary.stop(0); });
      }
      void primary.done.then((code) => process.exit(code));
      return;
    }
    const running = await startProxy(config, log);
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => { log.info({ signal }, 'stopping'); void running.stop().then(() => process.exit(0)); });
    }
  } catch (error) {
    exitForStartError(error, config, log);
  }
}

if (require.main === module) void runProxyProcess();
