import cluster, { type Worker } from 'node:cluster';
import { adminHosts, createAdminServer } from '../admin/server';
import { rulesHealth } from '../admin/stats';
import { rulesReport } from '../admin/status';
import type { ProxyConfig } from '../config';
import type { Logger } from '../observability/logger';
import { freePort, listen } from '../http/listen';
import { ProxyMetrics } from '../observability/metrics';
import { formatIssue } from '../rules/load';
import { recordReload } from '../rules/reload-record';
import { RulesStore } from '../rules/store';
import { watchRulesFile } from '../rules/watch';
import { mergeMetrics, mergeStats, mergeStatus, type WorkerInfo } from './merge';
import { isToPrimary, type Question, type ToPrimary, type ToWorker } from './protocol';

/** Workers that may die in a minute and be replaced; one more and the proxy exits 1 (something is wrong with every worker). */
export const MAX_REPLACEMENTS_PER_MINUTE = 3;
/** How long the primary waits for a worker's answer to /status, /stats or /metrics. */
const ASK_TIMEOUT_MS = 2000;
/** How long POST /reload waits for every worker to serve the new epoch. */
const APPLY_TIMEOUT_MS = 5000;

interface Member {
  readonly worker: Worker;
  readonly pid: number;
  epoch: number | null;
  ready: boolean;
}

export interface RunningPrimary {
  readonly proxyPort: number;
  readonly adminPort: number;
  /** Resolves with the exit code once the cluster is down (SIGTERM: 0; workers dying too often: 1). */
  readonly done: Promise<number>;
  stop(exitCode?: number): Promise<number>;
}

/**
 * `strangler proxy` with STRANGLER_WORKERS > 1: this process (the primary) validates the rules,
 * watches the file, answers on the admin port and forks the workers, which share the shopper port
 * (node:cluster hands each new connection to the next worker). A reload is validated here once
 * and sent to every worker with its epoch. A worker that dies is replaced, at most
 * MAX_REPLACEMENTS_PER_MINUTE a minute; past that, the proxy stops and exits 1.
 */
export async function startClusterPrimary(config: ProxyConfig, log: Logger, drainMs: number): Promise<RunningPrimary> {
  const metrics = new ProxyMetrics();
  const members = new Map<number, Member>();
  const asks = new Map<number, { readonly worker: number; resolve(body: unknown): void }>();
  const applied = new Set<() => void>();
  let nextAsk = 1;
  let stopping: Promise<number> | null = null;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => { finish = resolve; });

  const broadcast = (message: ToWorker): void => {
    for (const member of members.values()) if (member.worker.isConnected()) member.worker.send(message);
  };
  const store = await RulesStore.open(config.rulesFile, {
    onReload(report, active) {
      recordReload(report, active, metrics, log, { workers: config.workers });
      // The store is not assigned yet during its first load; workers get that table on hello.
      if (report.result !== 'failure' && report.trigger !== 'start') broadcast({ type: 'strangler:rules', rules: store.shared() });
      log.flush();
    },
  });

  const proxyPort = config.proxyPort === 0 ? await freePort(config.proxyHost) : config.proxyPort;
  const replacements: number[] = [];
  let started = false;
  let startFailure: ((error: Error) => void) | null = null;
  let allReady: (() => void) | null = null;

  const infos = (): WorkerInfo[] => [...members.values()].map((m) => ({ id: m.worker.id, pid: m.pid, epoch: m.epoch, ready: m.ready }));
  const serving = (): Member[] => [...members.values()].filter((m) => m.ready && m.worker.isConnected());
  const epochReached = (): boolean => serving().every((m) => m.epoch === store.current().epoch);

  const onMessage = (member: Member, message: ToPrimary): void => {
    switch (message.type) {
      case 'strangler:hello': member.worker.send({ type: 'strangler:rules', rules: store.shared() } satisfies ToWorker); return;
      case 'strangler:ready':
        member.ready = true;
        member.epoch = message.epoch;
        // A table newer than the one it started on may have gone out while it was starting.
        if (message.epoch !== store.current().epoch) member.worker.send({ type: 'strangler:rules', rules: store.shared() } satisfies ToWorker);
        log.info({ worker: member.worker.id, workerPid: member.pid, epoch: message.epoch }, 'worker serving');
        if (!started && serving().length === config.workers) allReady?.();
        for (const check of applied) check();
        return;
      case 'strangler:applied':
        member.epoch = message.epoch;
        for (const check of applied) check();
        return;
      case 'strangler:answer': {
        const ask = asks.get(message.id);
        if (ask === undefined) return;
        asks.delete(message.id);
        ask.resolve(message.error === undefined ? message.body : null);
        return;
      }
      case 'strangler:failed':
        // With the listen error's code and port, the caller reports it as one process would (exit 78 for a taken port).
        startFailure?.(Object.assign(new Error(`a worker could not start: ${message.message}`), { code: message.code, port: message.port ?? proxyPort }));
        return;
    }
  };

  const fork = (): void => {
    const worker = cluster.fork({ PROXY_PORT: String(proxyPort) });
    const member: Member = { worker, pid: worker.process.pid ?? 0, epoch: null, ready: false };
    members.set(worker.id, member);
    worker.on('message', (message: unknown) => { if (isToPrimary(message)) onMessage(member, message); });
    worker.once('exit', (code, signal) => onExit(member, code, signal));
    // A send to a worker that is dying fails on its channel: that worker's exit is handled above;
    // unheard, the 'error' event would bring the primary down with it.
    worker.on('error', (error: Error) => log.warn({ worker: worker.id, error: error.message }, 'message to a worker not delivered'));
  };

  const onExit = (member: Member, code: number | null, signal: string | null): void => {
    members.delete(member.worker.id);
    for (const [id, ask] of asks) if (ask.worker === member.worker.id) { asks.delete(id); ask.resolve(null); }
    for (const check of applied) check();
    if (stopping !== null) return;
    if (!started) {
      startFailure?.(new Error(`worker ${member.worker.id} (pid ${member.pid}) exited while starting (${signal ?? `code ${code}`})`));
      return;
    }
    const now = Date.now();
    while (replacements.length > 0 && replacements[0] <= now - 60_000) replacements.shift();
    if (replacements.length >= MAX_REPLACEMENTS_PER_MINUTE) {
      log.error({ worker: member.worker.id, workerPid: member.pid, code, signal, replacedInLastMinute: replacements.length }, `worker died; ${MAX_REPLACEMENTS_PER_MINUTE} were already replaced in the last minute, so the proxy stops (exit 1)`);
      log.flush();
      void stop(1);
      return;
    }
    replacements.push(now);
    log.warn({ worker: member.worker.id, workerPid: member.pid, code, signal }, 'worker died; starting a replacement');
    log.flush();
    fork();
  };

  const ask = (member: Member, what: Question): Promise<unknown> => new Promise((resolve) => {
    const id = nextAsk++;
    const timer = setTimeout(() => { asks.delete(id); resolve(null); }, ASK_TIMEOUT_MS);
    asks.set(id, { worker: member.worker.id, resolve: (body) => { clearTimeout(timer); resolve(body); } });
    member.worker.send({ type: 'strangler:ask', id, what } satisfies ToWorker, (error: Error | null) => {
      if (error !== null && asks.delete(id)) { clearTimeout(timer); resolve(null); }
    });
  });
  /** Every serving worker's answer, in worker order; a worker that does not answer in time is left out. */
  const askAll = async <T>(what: Question): Promise<T[]> => {
    const answers = await Promise.all(serving().sort((a, b) => a.worker.id - b.worker.id).map((m) => ask(m, what)));
    return answers.filter((a): a is T => a !== null && a !== undefined);
  };
  /** Resolves once every serving worker serves the active epoch, or after APPLY_TIMEOUT_MS. */
  const waitForEpoch = (): Promise<void> => new Promise((resolve) => {
    const check = (): void => { if (epochReached()) { applied.delete(check); clearTimeout(timer); resolve(); } };
    const timer = setTimeout(() => { applied.delete(check); resolve(); }, APPLY_TIMEOUT_MS);
    applied.add(check);
    check();
  });

  // Workers run this same program (process.argv); runProxyProcess sends them to runClusterWorker.
  const startedAll = new Promise<void>((resolve, reject) => { allReady = resolve; startFailure = reject; });
  for (let i = 0; i < config.workers; i++) fork();
  try {
    await startedAll;
  } catch (error) {
    stopping = Promise.resolve(1);
    for (const member of members.values()) member.worker.process.kill('SIGKILL');
    throw error;
  }
  started = true;
  startFailure = null;

  let allowed: ReadonlySet<string> = new Set();
  const admin = createAdminServer({
    status: async () => mergeStatus(rulesReport(store), await askAll<Record<string, unknown>>('status'), infos()),
    stats: async () => mergeStats(rulesHealth(store), serving().length, await askAll<Record<string, unknown>>('stats')),
    metrics: async () => mergeMetrics(await askAll<Awaited<ReturnType<typeof metrics.registry.getMetricsAsJSON>>>('metrics'), await metrics.registry.getMetricsAsJSON()),
    ready: () => stopping === null && serving().length > 0,
    reload: async () => {
      const report = await store.reload('admin');
      if (report.result !== 'failure') await waitForEpoch();
      const body = { result: report.result, epoch: report.epoch, errors: report.errors.map(formatIssue), warnings: report.warnings.map(formatIssue), workers: infos() };
      return { status: report.result === 'failure' ? 422 : 200, body };
    },
  }, () => allowed);
  const adminPort = await listen(admin, config.adminPort, config.adminHost);
  allowed = adminHosts(config.adminHost, adminPort, config.adminAllowedHosts);
  const unwatch = watchRulesFile(config.rulesFile, () => { void store.reload('watch'); });
  const onHup = (): void => { void store.reload('sighup'); };
  process.on('SIGHUP', onHup);
  log.info({ proxy: `http://${config.proxyHost}:${proxyPort}`, admin: `http://${config.adminHost}:${adminPort}`, rules: config.rulesFile, workers: infos() }, 'strangler proxy listening');
  log.flush();

  /** Every worker drains (as one process does on SIGTERM), then the admin port closes. */
  const stop = (exitCode = 0): Promise<number> => {
    stopping ??= (async () => {
      unwatch();
      process.off('SIGHUP', onHup);
      const exited = [...members.values()].map((m) => new Promise<void>((resolve) => {
        if (m.worker.isDead()) { resolve(); return; }
        m.worker.once('exit', () => resolve());
      }));
      broadcast({ type: 'strangler:stop' });
      // A worker drains for drainMs, then waits for its mirrored requests; past that it is killed.
      const kill = setTimeout(() => { for (const m of members.values()) m.worker.process.kill('SIGKILL'); }, drainMs + config.shadowTimeoutMs + 5000);
      await Promise.all(exited);
      clearTimeout(kill);
      await new Promise<void>((resolve) => { admin.close(() => resolve()); admin.closeAllConnections(); });
      log.info({ exitCode }, 'all workers stopped');
      log.flush();
      finish(exitCode);
      return exitCode;
    })();
    return stopping;
  };
  return { proxyPort, adminPort, done, stop };
}
