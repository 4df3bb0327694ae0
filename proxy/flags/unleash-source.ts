import { Unleash, UnleashEvents, type Context } from 'unleash-client';
import { AtomicBackupStorage } from './backup-storage';
import { featureToFlagState, type FeatureDefinition } from './feature-to-flag';
import { NO_FLAGS, type FlagSnapshot, type FlagSource, type FlagSourceInfo, type FlagState } from './flag-state';

export interface UnleashSettings {
  /** The server's client API base, e.g. http://unleash:4242/api/ */
  readonly url: string;
  readonly apiToken: string | undefined;
  readonly appName: string;
  readonly refreshIntervalMs: number;
  readonly timeoutMs: number;
  /** Where unleash-client's backup of the last fetched flags is kept (the proxy's data directory). */
  readonly backupDir: string;
}

/** What the source reports as it goes; the proxy turns these into metrics and log lines. */
export interface FlagSourceEvents {
  /** A fetch succeeded; `recovered` when fetches had been failing until now. */
  fetched(changed: boolean, recovered: boolean): void;
  failed(message: string): void;
  loadedBackup(flags: number): void;
  warned(message: string): void;
}

// Warn events of the SDK that are really failed fetches (HTTP 404/429/5xx, dropped sockets).
const FAILED_FETCH_WARNING = /responded|retrying|Backing off/i;

/**
 * Stops an unleash-client instance. Its repository drops every listener on stop, yet a fetch still
 * in flight then emits 'error' on it, and an 'error' with no listener throws (an unhandled
 * rejection that would crash the process). A no-op listener after destroy absorbs that last event.
 */
export function destroyQuietly(client: Unleash): void {
  client.destroy();
  const repository = (client as unknown as { repository?: { on(event: string, listener: () => void): void } }).repository;
  repository?.on('error', () => undefined);
}

/**
 * Flag state from a real Unleash server through unleash-client. Fetching runs on the SDK's own
 * timer; shoppers' requests only read `current()`, a map swapped whole after each change, so a slow
 * or unreachable Unleash never slows or fails a request. The SDK's backup file keeps the last
 * known state across restarts; a flag never known is absent, so its route uses the YAML percent.
 */
export class UnleashFlagSource implements FlagSource {
  private snapshot: FlagSnapshot = NO_FLAGS;
  private readonly client: Unleash;
  private lastFetchAt: string | null = null;
  private lastChangeAt: string | null = null;
  private lastFailure: { at: string; message: string } | null = null;
  private consecutiveFailures = 0;
  private totalFailures = 0;
  private origin: 'none' | 'backup' | 'server' = 'none';
  private polling = true;

  constructor(private readonly settings: UnleashSettings, private readonly events: FlagSourceEvents) {
    this.client = new Unleash({
      url: settings.url,
      appName: settings.appName,
      refreshInterval: settings.refreshIntervalMs,
      timeout: settings.timeoutMs,
      customHeaders: settings.apiToken ? { Authorization: settings.apiToken } : undefined,
      storageProvider: new AtomicBackupStorage(settings.backupDir),
      // Evaluations happen on every shopper's request; usage metrics would be a second job per
      // request and a report to Unleash nobody asked for.
      disableMetrics: true,
      skipInstanceCountWarning: true,
    });
    this.client.on(UnleashEvents.Ready, () => {
      // Ready before any fetch succeeded means the state came from the backup file.
      if (this.origin === 'none') {
        this.origin = 'backup';
        this.rebuild();
        this.events.loadedBackup(this.snapshot.size);
      }
    });
    this.client.on(UnleashEvents.Changed, () => {
      this.origin = 'server';
      this.rebuild();
      this.succeeded(true);
    });
    this.client.on(UnleashEvents.Unchanged, () => this.succeeded(false));
    this.client.on(UnleashEvents.Error, (error: Error) => this.failed(error?.message ?? String(error)));
    this.client.on(UnleashEvents.Warn, (message: unknown) => {
      const text = message instanceof Error ? message.message : String(message);
      if (FAILED_FETCH_WARNING.test(text)) this.failed(text);
      else this.events.warned(text);
    });
  }

  current(): FlagSnapshot {
    return this.snapshot;
  }

  info(): FlagSourceInfo {
    return {
      configured: true,
      url: this.settings.url,
      appName: this.settings.appName,
      refreshIntervalMs: this.settings.refreshIntervalMs,
      // none: nothing known yet (routes use YAML); backup: last known state from the backup file;
      // server: fetched from Unleash by this process.
      stateFrom: this.origin,
      polling: this.polling,
      lastFetchAt: this.lastFetchAt,
      lastChangeAt: this.lastChangeAt,
      lastFailure: this.lastFailure,
      consecutiveFailures: this.consecutiveFailures,
      totalFailures: this.totalFailures,
      flagsKnown: this.snapshot.size,
    };
  }

  async stop(): Promise<void> {
    destroyQuietly(this.client);
  }

  private rebuild(): void {
    const next = new Map<string, FlagState>();
    const features = this.client.getFeatureToggleDefinitions() as FeatureDefinition[];
    const byName = new Map(features.map((f) => [f.name, f]));
    for (const feature of features) {
      const state = featureToFlagState(feature, (name) => byName.get(name));
      const name = feature.name;
      // The SDK's own evaluation decides each shopper, so strategies, constraints, segments and
      // parent flags apply exactly as in Unleash; the state's percent is what /status and the
      // metrics show. `featureToggle` is where unleash-client's flexibleRollout takes a missing
      // groupId from: the flag's name, which the shortcut's groupId falls back to as well.
      if (state !== null) next.set(name, { ...state, isEnabled: (context) => this.client.isEnabled(name, { ...context, featureToggle: name } as unknown as Context) });
    }
    this.snapshot = next;
  }

  private succeeded(changed: boolean): void {
    const now = new Date().toISOString();
    this.lastFetchAt = now;
    if (changed) this.lastChangeAt = now;
    const recovered = this.consecutiveFailures > 0;
    this.consecutiveFailures = 0;
    this.events.fetched(changed, recovered);
  }

  private failed(message: string): void {
    this.consecutiveFailures++;
    this.totalFailures++;
    this.lastFailure = { at: new Date().toISOString(), message };
    // unleash-client stops polling for good when the token is refused.
    if (/ 40[13] /.test(message) && /Stopping refresh/i.test(message)) this.polling = false;
    this.events.failed(message);
  }
}
