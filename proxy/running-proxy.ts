/**
 * What starting a proxy gives back, in a module of its own so that main.ts (which starts one) and
 * cluster/worker.ts (which main.ts hands a started worker to) share it without importing each other.
 */
import type { Question } from './cluster/protocol';
import type { ProxyConfig } from './config';
import type { Logger } from './observability/logger';
import type { RulesStore, SharedRules } from './rules/store';

export interface RunningProxy {
  readonly proxyPort: number;
  /** 0 in a cluster worker: the primary owns the admin port. */
  readonly adminPort: number;
  readonly store: RulesStore;
  /** What a cluster's primary asks a worker (/status, /stats with counts, /metrics as JSON). */
  answer(what: Question): Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * A node:cluster worker's start: the primary validated the rules and sends them (and every new
 * epoch); it owns the admin port, the file watch and SIGHUP, so the worker has none of them.
 */
export interface WorkerStart {
  readonly rules: SharedRules;
}

/** main.ts's startProxy, as a cluster worker is given it. */
export type StartProxy = (config: ProxyConfig, log: Logger, worker: WorkerStart) => Promise<RunningProxy>;
