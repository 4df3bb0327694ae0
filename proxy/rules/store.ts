import fs from 'node:fs/promises';
import { formatIssue, loadRules } from './load';
import type { CompiledRules, RuleIssue } from './types';

export type ReloadTrigger = 'start' | 'watch' | 'sighup' | 'admin';

/** The table in force plus its epoch: what one request reads once and keeps to its end. */
export interface ActiveRules {
  readonly table: CompiledRules;
  readonly epoch: number;
  readonly loadedAt: string;
}

export interface ReloadReport {
  readonly at: string;
  readonly trigger: ReloadTrigger;
  readonly result: 'success' | 'failure';
  readonly epoch: number;
  readonly errors: readonly RuleIssue[];
  readonly warnings: readonly RuleIssue[];
}

/**
 * What a cluster's primary hands its workers: the text it validated, and the epoch and report it
 * gave it, so every worker serves the same table under the same epoch.
 */
export interface SharedRules {
  readonly text: string;
  readonly epoch: number;
  readonly loadedAt: string;
  readonly report: ReloadReport;
}

export interface RulesStoreEvents {
  onReload(report: ReloadReport, active: ActiveRules): void;
}

/** Reads the rules file (async, never on a request), keeps the last good table, swaps it whole. */
export class RulesStore {
  private active: ActiveRules;
  private last: ReloadReport;
  private reloading: Promise<ReloadReport> | null = null;
  private again = false;
  /** The text behind the active table and the last successful reload's report (what a primary sends its workers). */
  private activeText: string;
  private activeReport: ReloadReport;

  private constructor(readonly file: string, text: string, table: CompiledRules, warnings: readonly RuleIssue[], private readonly events: RulesStoreEvents) {
    const at = new Date().toISOString();
    this.activeText = text;
    this.active = Object.freeze({ table, epoch: 1, loadedAt: at });
    this.last = Object.freeze({ at, trigger: 'start', result: 'success', epoch: 1, errors: [], warnings });
    this.activeReport = this.last;
  }

  /** Loads the file at start-up; an invalid or missing file is an error the caller must not start with. */
  static async open(file: string, events: RulesStoreEvents): Promise<RulesStore> {
    const text = await readRulesFile(file);
    if (!text.ok) throw new RulesFileError([text.issue]);
    const result = loadRules(text.text, file);
    if (!result.ok) throw new RulesFileError(result.errors);
    const store = new RulesStore(file, text.text, result.rules, result.warnings, events);
    events.onReload(store.last, store.active);
    return store;
  }

  /**
   * A cluster worker's store: it never reads the file; its tables come from the primary, which
   * validated them (compiling the same text again cannot fail unless the two run different code).
   */
  static follow(file: string, shared: SharedRules, events: RulesStoreEvents): RulesStore {
    const store = new RulesStore(file, shared.text, compileShared(file, shared), [], events);
    store.adoptTable(shared, store.active.table);
    return store;
  }

  /** A worker takes the primary's new table and epoch (a follower store only). */
  adopt(shared: SharedRules): void {
    this.adoptTable(shared, compileShared(this.file, shared));
  }

  private adoptTable(shared: SharedRules, table: CompiledRules): void {
    this.activeText = shared.text;
    this.active = Object.freeze({ table, epoch: shared.epoch, loadedAt: shared.loadedAt });
    this.last = Object.freeze(shared.report);
    this.activeReport = this.last;
    this.events.onReload(this.last, this.active);
  }

  /** The active table as a primary shares it. */
  shared(): SharedRules {
    return { text: this.activeText, epoch: this.active.epoch, loadedAt: this.active.loadedAt, report: this.activeReport };
  }

  current(): ActiveRules {
    return this.active;
  }

  lastReload(): ReloadReport {
    return this.last;
  }

  /** Re-reads the file. Concurrent triggers coalesce: one reload runs, then one more if asked meanwhile. */
  reload(trigger: ReloadTrigger): Promise<ReloadReport> {
    if (this.reloading) {
      this.again = true;
      return this.reloading;
    }
    this.reloading = this.reloadOnce(trigger).finally(() => {
      this.reloading = null;
      if (this.again) { this.again = false; void this.reload(trigger); }
    });
    return this.reloading;
  }

  private async reloadOnce(trigger: ReloadTrigger): Promise<ReloadReport> {
    const at = new Date().toISOString();
    const text = await readRulesFile(this.file);
    if (!text.ok) return this.record({ at, trigger, result: 'failure', epoch: this.active.epoch, errors: [text.issue], warnings: [] });
    const result = loadRules(text.text, this.file);
    if (!result.ok) return this.record({ at, trigger, result: 'failure', epoch: this.active.epoch, errors: result.errors, warnings: result.warnings });
    // The epoch counts distinct tables: identical content is a successful reload that swaps nothing.
    // Editors fire several events per save, so a watch event that changes nothing is not even recorded.
    if (result.rules.hash === this.active.table.hash) {
      if (trigger === 'watch' && this.last.result !== 'failure') return this.last;
      return this.record({ at, trigger, result: 'success', epoch: this.active.epoch, errors: [], warnings: result.warnings });
    }
    this.activeText = text.text;
    this.active = Object.freeze({ table: result.rules, epoch: this.active.epoch + 1, loadedAt: at });
    return this.record({ at, trigger, result: 'success', epoch: this.active.epoch, errors: [], warnings: result.warnings });
  }

  private record(report: ReloadReport): ReloadReport {
    this.last = Object.freeze(report);
    if (report.result === 'success') this.activeReport = this.last;
    this.events.onReload(this.last, this.active);
    return this.last;
  }
}

export class RulesFileError extends Error {
  constructor(readonly issues: readonly RuleIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
}

function compileShared(file: string, shared: SharedRules): CompiledRules {
  const result = loadRules(shared.text, file);
  if (!result.ok) throw new RulesFileError(result.errors);
  return result.rules;
}

async function readRulesFile(file: string): Promise<{ ok: true; text: string } | { ok: false; issue: RuleIssue }> {
  try {
    return { ok: true, text: await fs.readFile(file, 'utf8') };
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = code === 'ENOENT' ? 'the rules file does not exist (deleted or never created)'
      : code === 'EACCES' ? 'the rules file cannot be read (permission denied)'
      : `the rules file cannot be read: ${(error as Error).message}`;
    return { ok: false, issue: { level: 'error', code: 'RULES_UNREADABLE', file, line: 1, column: 1, message } };
  }
}
