import type { Logger } from '../observability/logger';
import type { ProxyMetrics } from '../observability/metrics';
import { formatIssue } from './load';
import type { ActiveRules, ReloadReport } from './store';

/**
 * What the process that owns the rules file does with each reload: count it, set the epoch and
 * validity gauges, and log it (a single proxy, or a cluster's primary; its workers do not).
 */
export function recordReload(report: ReloadReport, active: ActiveRules, metrics: ProxyMetrics, log: Logger, fields: Record<string, unknown> = {}): void {
  metrics.reloads.labels(report.result === 'failure' ? 'failure' : 'success').inc();
  metrics.rulesEpoch.set(active.epoch);
  metrics.rulesValid.set(report.result === 'failure' ? 0 : 1);
  if (report.result === 'failure') {
    log.error({ trigger: report.trigger, epoch: active.epoch, errors: report.errors.map(formatIssue) }, 'rules reload failed; still serving the last good rules');
  } else {
    log.info({ trigger: report.trigger, epoch: active.epoch, hash: active.table.hash, routes: active.table.routes.length, warnings: report.warnings.map(formatIssue), ...fields }, 'rules active');
  }
}
