/**
 * A small client for the parts of Unleash's admin API (6.x) that Strangler's development set-up and
 * integration test need: API tokens, and release flags with one flexibleRollout strategy.
 * Flags live in the `default` project; the environment is the one the client token is bound to.
 */
export interface RolloutFlag {
  name: string;
  rollout: number;
  groupId: string;
  stickiness?: string;
  enabled?: boolean;
  /** Constraints on the strategy, as Unleash's admin API takes them. */
  constraints?: Constraint[];
  /** Ids of segments (made with createSegment) the strategy applies. */
  segments?: number[];
}

export interface Constraint {
  contextName: string;
  operator: 'IN' | 'NOT_IN' | 'STR_CONTAINS' | 'STR_STARTS_WITH' | 'STR_ENDS_WITH' | 'NUM_EQ' | 'NUM_GT' | 'NUM_LT';
  values: string[];
  inverted?: boolean;
  caseInsensitive?: boolean;
}

interface Strategy {
  id: string;
  name: string;
  parameters: Record<string, string>;
  constraints: unknown[];
}

export class UnleashAdmin {
  private readonly base: string;

  constructor(serverUrl: string, private readonly adminToken: string, private readonly environment = 'development', private readonly project = 'default') {
    this.base = serverUrl.replace(/\/+$/, '').replace(/\/api$/, '');
  }

  /** The URL unleash-client and the proxy's UNLEASH_URL want: the server's /api. */
  get clientApiUrl(): string {
    return `${this.base}/api/`;
  }

  async createClientToken(tokenName: string): Promise<string> {
    const body = await this.call('POST', '/api/admin/api-tokens', { tokenName, type: 'client', environment: this.environment, projects: ['*'] });
    return (body as { secret: string }).secret;
  }

  async hasFlag(name: string): Promise<boolean> {
    return (await this.call('GET', `${this.projectPath}/features/${encodeURIComponent(name)}`, undefined, [404])) !== null;
  }

  /** Creates the flag if it is missing and sets its single flexibleRollout strategy and on/off state. */
  async upsertRolloutFlag(flag: RolloutFlag): Promise<void> {
    if (!(await this.hasFlag(flag.name))) {
      await this.call('POST', `${this.projectPath}/features`, { name: flag.name, type: 'release', description: 'routing percent for a Strangler route' });
    }
    const strategies = await this.strategies(flag.name);
    const parameters = { rollout: String(flag.rollout), stickiness: flag.stickiness ?? 'default', groupId: flag.groupId };
    const rollout = strategies.find((s) => s.name === 'flexibleRollout');
    const scope = { constraints: flag.constraints ?? (rollout?.constraints ?? []), ...(flag.segments ? { segments: flag.segments } : {}) };
    if (rollout === undefined) {
      await this.call('POST', `${this.envPath(flag.name)}/strategies`, { name: 'flexibleRollout', ...scope, parameters });
    } else {
      await this.call('PUT', `${this.envPath(flag.name)}/strategies/${rollout.id}`, { name: 'flexibleRollout', ...scope, parameters });
    }
    await this.setEnabled(flag.name, flag.enabled ?? true);
  }

  /** Changes only the rollout percent of the flag's flexibleRollout strategy (a ramp in Unleash). */
  async setRollout(name: string, rollout: number): Promise<void> {
    const strategy = (await this.strategies(name)).find((s) => s.name === 'flexibleRollout');
    if (strategy === undefined) throw new Error(`flag ${name} has no flexibleRollout strategy in ${this.environment}`);
    await this.call('PUT', `${this.envPath(name)}/strategies/${strategy.id}`, {
      name: 'flexibleRollout', constraints: strategy.constraints, parameters: { ...strategy.parameters, rollout: String(rollout) },
    });
  }

  /** Unleash refuses constraints on context fields it does not know: this defines one if missing. */
  async ensureContextField(name: string): Promise<void> {
    if ((await this.call('GET', `/api/admin/context/${encodeURIComponent(name)}`, undefined, [404])) !== null) return;
    await this.call('POST', '/api/admin/context', { name, description: 'a Strangler route context field', legalValues: [], stickiness: false });
  }

  /** A segment (a named set of constraints strategies can share); returns its id. */
  async createSegment(name: string, constraints: Constraint[]): Promise<number> {
    const body = await this.call('POST', '/api/admin/segments', { name, description: 'made by the Strangler integration test', constraints });
    return (body as { id: number }).id;
  }

  async setEnabled(name: string, enabled: boolean): Promise<void> {
    await this.call('POST', `${this.envPath(name)}/${enabled ? 'on' : 'off'}`);
  }

  private get projectPath(): string {
    return `/api/admin/projects/${encodeURIComponent(this.project)}`;
  }

  private envPath(name: string): string {
    return `${this.projectPath}/features/${encodeURIComponent(name)}/environments/${encodeURIComponent(this.environment)}`;
  }

  private async strategies(name: string): Promise<Strategy[]> {
    return (await this.call('GET', `${this.envPath(name)}/strategies`)) as Strategy[];
  }

  /** One admin call; a non-2xx answer is an error naming the call and Unleash's own message. */
  private async call(method: string, path: string, body?: unknown, allowed: number[] = []): Promise<unknown> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { authorization: this.adminToken, 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (allowed.includes(response.status)) return null;
    if (!response.ok) throw new Error(`Unleash admin ${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
    return text === '' ? null : JSON.parse(text);
  }
}
